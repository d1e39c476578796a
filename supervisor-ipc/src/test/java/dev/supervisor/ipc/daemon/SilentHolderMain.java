package dev.supervisor.ipc.daemon;

import dev.supervisor.persist.PidLock;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A holder of a home that never answers: {@code SilentHolderMain HOME silent|nosocket}. It takes
 * the PID lock, prints "holding", and then either binds the control socket without ever
 * accepting (connections succeed, no reply comes) or binds nothing. Runs until killed.
 */
public final class SilentHolderMain {
  public static void main(String[] args) throws Exception {
    Path home = Path.of(args[0]);
    Files.createDirectories(home.resolve("run"));
    try (PidLock lock = PidLock.acquire(home.resolve("supervisor.pid"))) {
      ServerSocketChannel ch = null;
      if (args[1].equals("silent")) {
        ch = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX);
        ch.bind(UnixDomainSocketAddress.of(home.resolve("run/control.sock")), 64);
      }
      System.out.println("holding");
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
      if (ch != null) {
        ch.close();
      }
    }
  }
}
