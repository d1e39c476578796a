package dev.supervisor.examples.launcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The lean path of {@code agentd [--home DIR] daemon status --json}: no picocli, no Jackson, no
 * junixsocket (whose native library is unpacked at every JVM start), just the JDK's own Unix
 * socket channel, one request line and the reply printed as it came. Everything else goes
 * through {@link Agentd}.
 */
final class FastStatus {
  private static final String REQUEST = "{\"type\":\"status\",\"id\":0}\n";
  private static final String REPLY_PREFIX = "{\"type\":\"result\",\"id\":0,";

  private FastStatus() {}

  /** The home, if {@code args} is exactly {@code [--home DIR] daemon status --json}; else null. */
  static Path matches(String[] args) {
    List<String> a = List.of(args);
    Path home = null;
    int i = 0;
    if (a.size() >= 2 && a.get(0).equals("--home")) {
      home = Path.of(a.get(1));
      i = 2;
    } else if (a.size() >= 1 && a.get(0).startsWith("--home=")) {
      home = Path.of(a.get(0).substring(7));
      i = 1;
    }
    if (!a.subList(i, a.size()).equals(List.of("daemon", "status", "--json"))) {
      return null;
    }
    return AgentdHome.resolve(home, System.getenv()).root();
  }

  /** Prints the status JSON; returns 0 (running), 3 (not running) or 1 (an error reply). */
  static int run(Path home) {
    Path socket = home.resolve("run").resolve("control.sock");
    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      ch.write(ByteBuffer.wrap(REQUEST.getBytes(StandardCharsets.UTF_8)));
      ByteArrayOutputStream line = new ByteArrayOutputStream(16 * 1024);
      ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
      while (true) {
        buf.clear();
        int n = ch.read(buf);
        if (n < 0) {
          break;
        }
        int end = indexOf(buf.array(), n, (byte) '\n');
        line.write(buf.array(), 0, end < 0 ? n : end);
        if (end >= 0) {
          break;
        }
      }
      String reply = line.toString(StandardCharsets.UTF_8);
      if (reply.startsWith(REPLY_PREFIX)) {
        System.out.println("{" + reply.substring(REPLY_PREFIX.length()));
        return 0;
      }
      System.err.println("agentd: unexpected reply from " + socket + ": " + reply);
      return 1;
    } catch (IOException e) {
      String h = home.toString().replace("\\", "\\\\").replace("\"", "\\\"");
      System.out.println("{\"supervisor\":{\"running\":false,\"home\":\"" + h + "\"},\"children\":[]}");
      return Agentd.NOT_RUNNING;
    }
  }

  private static int indexOf(byte[] b, int n, byte c) {
    for (int i = 0; i < n; i++) {
      if (b[i] == c) {
        return i;
      }
    }
    return -1;
  }
}
