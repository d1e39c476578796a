package dev.supervisor.ipc.notify;

import dev.supervisor.NotifySocketFactory;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.OptionalLong;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds children's notify sockets. On JDK 22 and later (when the class compiled for it is
 * present) it reads each datagram with {@code recvmsg} through the FFM API and gets the sender's
 * pid from the kernel ({@code SO_PASSCRED}), so a process outside a child's process group cannot
 * speak for it. Elsewhere it uses junixsocket, which does not expose per-datagram credentials:
 * messages are then attributed by the socket they arrive on, which each child has its own of.
 * Either way, descriptors a datagram carries ({@code BARRIER=1}) are closed.
 *
 * <pre>{@code
 * Supervisor.builder(home).notifySockets(ChildNotifySockets.create())
 *     .child(ChildSpec.builder("db").argv("my-db").readinessNotify(Duration.ofSeconds(30)).watchdog(Duration.ofSeconds(10)).build())
 * }</pre>
 */
public final class ChildNotifySockets {
  private static final Logger log = LoggerFactory.getLogger(ChildNotifySockets.class);
  static final int MAX_DATAGRAM = 4096;

  private ChildNotifySockets() {}

  /** The best factory this JDK allows: with sender credentials on JDK 22+, by socket elsewhere. */
  public static NotifySocketFactory create() {
    if (Runtime.version().feature() >= 22) {
      try {
        Class<?> c = Class.forName("dev.supervisor.ipc.notify.FfmNotifySockets");
        NotifySocketFactory f = (NotifySocketFactory) c.getMethod("create").invoke(null);
        if (f != null) {
          return f;
        }
      } catch (ReflectiveOperationException | LinkageError e) {
        log.debug("no FFM notify sockets ({}); using junixsocket, without sender credentials", e.toString());
      }
    }
    return withoutCredentials();
  }

  /** The junixsocket factory: messages attributed by socket only. */
  public static NotifySocketFactory withoutCredentials() {
    return new NotifySocketFactory() {
      @Override
      public NotifySocket bind(Path path, NotifyReceiver receiver) throws IOException {
        return JunixReceiver.bind(path, receiver);
      }

      @Override
      public boolean knowsSenders() {
        return false;
      }

      @Override
      public String toString() {
        return "ChildNotifySockets[junixsocket, attributed by socket]";
      }
    };
  }

  static void restrict(Path path) throws IOException {
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
  }

  /** One socket, one platform thread (junixsocket blocks; see PLATFORM.md on virtual threads). */
  private static final class JunixReceiver implements NotifySocketFactory.NotifySocket {
    private final Path path;
    private final AFUNIXDatagramSocket socket;
    private final Thread thread;
    private volatile boolean closed;

    private JunixReceiver(Path path, AFUNIXDatagramSocket socket, NotifySocketFactory.NotifyReceiver receiver) {
      this.path = path;
      this.socket = socket;
      this.thread = new Thread(() -> loop(receiver), "notify " + path.getFileName());
      this.thread.setDaemon(true);
    }

    static JunixReceiver bind(Path path, NotifySocketFactory.NotifyReceiver receiver) throws IOException {
      AFUNIXDatagramSocket s = AFUNIXDatagramSocket.newInstance();
      try {
        s.bind(AFUNIXSocketAddress.of(path));
        restrict(path);
        s.setAncillaryReceiveBufferSize(1024); // room for the descriptor of BARRIER=1
        s.setSoTimeout(500); // to notice close()
      } catch (IOException e) {
        s.close();
        throw e;
      }
      JunixReceiver r = new JunixReceiver(path, s, receiver);
      r.thread.start();
      return r;
    }

    private void loop(NotifySocketFactory.NotifyReceiver receiver) {
      byte[] buf = new byte[MAX_DATAGRAM];
      while (!closed) {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
          socket.receive(p);
        } catch (SocketTimeoutException e) {
          continue;
        } catch (IOException e) {
          if (!closed) {
            log.warn("notify socket {} failed: {}; messages on it are lost until the supervisor restarts", path, e.toString());
          }
          return;
        }
        closeDescriptors();
        try {
          receiver.received(OptionalLong.empty(), OptionalLong.empty(), new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
          log.error("handling a notify message on {} failed", path, e);
        }
      }
    }

    private void closeDescriptors() {
      try {
        FileDescriptor[] fds = socket.getReceivedFileDescriptors();
        if (fds != null) {
          for (FileDescriptor fd : fds) {
            new FileInputStream(fd).close();
          }
        }
      } catch (IOException e) {
        log.debug("closing descriptors received on {}: {}", path, e.toString());
      }
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      socket.close();
      try {
        Files.deleteIfExists(path);
      } catch (IOException e) {
        log.debug("removing {}: {}", path, e.toString());
      }
    }
  }
}
