package dev.supervisor.examples.launcher;

import dev.supervisor.Durations;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The lean path of {@code agentd [--home DIR] [--timeout T] daemon status --json}: no picocli, no
 * Jackson, no junixsocket (whose native library is unpacked at every JVM start), just the JDK's
 * own Unix socket channel (non-blocking, so the whole call has a deadline), one request line and
 * the reply printed as it came. Everything else goes through {@link Agentd}; both answer with
 * {@link Liveness}'s three answers.
 */
final class FastStatus {
  private static final String REQUEST = "{\"type\":\"status\",\"id\":0}\n";
  private static final String REPLY_PREFIX = "{\"type\":\"result\",\"id\":0,";

  /** What the fast path needs from the command line. */
  record Request(Path home, Duration timeout) {}

  private FastStatus() {}

  /**
   * The request, if {@code args} is exactly {@code [--home DIR] [--timeout T] daemon status --json}
   * (options in either order, {@code --opt=value} too, a timeout that parses); else null, and
   * picocli takes it (and reports what is wrong with it).
   */
  static Request matches(String[] args) {
    List<String> a = List.of(args);
    Path home = null;
    Duration timeout = Liveness.DEFAULT_TIMEOUT;
    int i = 0;
    try {
      while (i < a.size() && a.get(i).startsWith("--")) {
        String opt = a.get(i);
        if (opt.equals("--home") && i + 1 < a.size()) {
          home = Path.of(a.get(i + 1));
          i += 2;
        } else if (opt.startsWith("--home=")) {
          home = Path.of(opt.substring(7));
          i++;
        } else if (opt.equals("--timeout") && i + 1 < a.size()) {
          timeout = positive(Durations.parse(a.get(i + 1)));
          i += 2;
        } else if (opt.startsWith("--timeout=")) {
          timeout = positive(Durations.parse(opt.substring(10)));
          i++;
        } else {
          return null;
        }
      }
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (!a.subList(i, a.size()).equals(List.of("daemon", "status", "--json"))) {
      return null;
    }
    return new Request(AgentdHome.resolve(home, System.getenv()).root(), timeout);
  }

  private static Duration positive(Duration d) {
    if (d.isZero()) {
      throw new IllegalArgumentException("zero");
    }
    return d;
  }

  /** Prints the status JSON; returns 0 (running), 3 (not running), 4 (not responding) or 1 (an error reply). */
  static int run(Request r) {
    Path socket = r.home().resolve("run").resolve("control.sock");
    String reply;
    try {
      reply = Liveness.ask(r.home(), r.timeout(), t -> request(socket, t));
    } catch (Liveness.NoAnswer e) {
      System.out.println(Liveness.statusJson(r.home(), e));
      if (e.code() != Liveness.NOT_RUNNING) {
        System.err.println(e.getMessage());
      }
      return e.code();
    } catch (Exception e) {
      System.err.println("agentd: " + e.getMessage());
      return 1;
    }
    if (reply.startsWith(REPLY_PREFIX)) {
      System.out.println("{" + reply.substring(REPLY_PREFIX.length()));
      return 0;
    }
    System.err.println("agentd: unexpected reply from " + socket + ": " + reply);
    return 1;
  }

  /**
   * One request line and its reply line, all within {@code timeout}.
   *
   * @throws SocketTimeoutException if the server took the connection but did not answer in time
   * @throws IOException if it cannot be reached (no socket file, nobody listening)
   */
  static String request(Path socket, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX); Selector sel = Selector.open()) {
      ch.configureBlocking(false);
      SelectionKey key = ch.register(sel, 0);
      if (!ch.connect(UnixDomainSocketAddress.of(socket))) {
        while (!ch.finishConnect()) {
          await(sel, key, SelectionKey.OP_CONNECT, deadline);
        }
      }
      ByteBuffer out = ByteBuffer.wrap(REQUEST.getBytes(StandardCharsets.UTF_8));
      while (out.hasRemaining()) {
        if (ch.write(out) == 0) {
          await(sel, key, SelectionKey.OP_WRITE, deadline);
        }
      }
      ByteArrayOutputStream line = new ByteArrayOutputStream(16 * 1024);
      ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
      while (true) {
        buf.clear();
        int n = ch.read(buf);
        if (n < 0) {
          break;
        }
        if (n == 0) {
          await(sel, key, SelectionKey.OP_READ, deadline);
          continue;
        }
        int end = indexOf(buf.array(), n, (byte) '\n');
        line.write(buf.array(), 0, end < 0 ? n : end);
        if (end >= 0) {
          break;
        }
      }
      return line.toString(StandardCharsets.UTF_8);
    }
  }

  private static void await(Selector sel, SelectionKey key, int op, long deadline) throws IOException {
    key.interestOps(op);
    long left = deadline - System.nanoTime();
    if (left <= 0 || sel.select(Math.max(1, left / 1_000_000)) == 0 && System.nanoTime() >= deadline) {
      throw new SocketTimeoutException("no answer within the timeout");
    }
    sel.selectedKeys().clear();
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
