package dev.supervisor.examples.launcher;

import dev.supervisor.Durations;
import dev.supervisor.persist.ProcessSignature;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The three answers every agentd client gives about the supervisor of a home, never a guess
 * (exit codes after LSB {@code status}: 0 running, 3 not running, 4 unknown):
 * <ul>
 *   <li><b>running</b>: the control socket answered within the timeout;
 *   <li><b>not running</b>: it did not, and no live process holds the PID lock
 *       ({@code <home>/supervisor.pid}: pid and start signature, see {@code PidLock});
 *   <li><b>not responding</b>: a live process with the recorded start signature holds the lock,
 *       but its socket accepted the connection and gave no answer within the timeout (hung,
 *       stopped, overloaded), or is missing or refusing for the whole timeout (gone). A socket
 *       that is missing while the holder lives is retried until the timeout, since a supervisor
 *       that is starting binds it shortly after taking the lock, and one whose file was deleted
 *       binds it again within a second or two.
 * </ul>
 * JDK only (no Jackson, no junixsocket), so that {@link FastStatus} can use it. The lock file is
 * only read, never locked: a probe with {@code tryLock} could make a supervisor that starts at
 * that instant fail to take its own lock. PidLock truncates the file on a clean exit, and a
 * crashed owner fails the start-signature check, so content plus liveness is enough here.
 */
final class Liveness {
  static final int RUNNING = 0;
  static final int NOT_RUNNING = 3;
  static final int NOT_RESPONDING = 4;
  /** How long a client waits for an answer unless {@code --timeout} says otherwise. */
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
  private static final Pattern START_TICKS = Pattern.compile("\"startTicks\"\\s*:\\s*(\\d+)");

  private Liveness() {}

  /** One call to the supervisor, given how long it may take. */
  @FunctionalInterface
  interface Call<T> {
    T call(Duration timeout) throws Exception;
  }

  /**
   * The supervisor gave no answer: {@link #code()} is {@link #NOT_RUNNING} or
   * {@link #NOT_RESPONDING}, the message says which, with the pid and the way out.
   */
  static final class NoAnswer extends Exception {
    private static final long serialVersionUID = 1L;
    private final int code;
    private final long pid;

    NoAnswer(int code, long pid, String message) {
      super(message, null, false, false);
      this.code = code;
      this.pid = pid;
    }

    int code() {
      return code;
    }

    /** The holder of the lock, when not responding. */
    OptionalLong pid() {
      return pid < 0 ? OptionalLong.empty() : OptionalLong.of(pid);
    }
  }

  /**
   * The live holder of {@code home}'s PID lock, read from the lock file: empty when the file is
   * missing, empty, unreadable as PidLock writes it, or names a process that is gone (or whose
   * pid now belongs to another process).
   */
  static Optional<ProcessSignature> holder(Path home) {
    String text;
    try {
      text = new String(Files.readAllBytes(dev.supervisor.persist.PidLock.fileOf(home)), StandardCharsets.UTF_8);
    } catch (IOException e) { // missing (never started, or a home of another layout) or unreadable
      return Optional.empty();
    }
    int nl = text.indexOf('\n');
    Matcher m = START_TICKS.matcher(text);
    if (nl <= 0 || !m.find()) {
      return Optional.empty();
    }
    try {
      ProcessSignature s = new ProcessSignature(Long.parseLong(text.substring(0, nl).trim()), Long.parseLong(m.group(1)));
      return s.isAlive() ? Optional.of(s) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Whether {@code pid} is stopped (state T, or t when traced). */
  static boolean isStopped(long pid) {
    return ProcessSignature.isStopped(pid);
  }

  /**
   * Runs {@code call} against the supervisor of {@code home} within {@code timeout} overall.
   *
   * @throws NoAnswer when it gives no answer: not running, or not responding
   * @throws Exception whatever else {@code call} throws (an error reply, for one)
   */
  static <T> T ask(Path home, Duration timeout, Call<T> call) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = Math.max(1_000_000L, deadline - System.nanoTime());
      try {
        return call.call(Duration.ofNanos(left));
      } catch (SocketTimeoutException e) {
        ProcessSignature h = holder(home).orElseThrow(() -> notRunning(home));
        throw isStopped(h.pid()) ? stopped(home, h) : new NoAnswer(NOT_RESPONDING, h.pid(), "agentd is not responding (pid " + h.pid()
            + ", home " + home + "): its control socket accepts connections but gave no answer within " + Durations.format(timeout)
            + " (hung or overloaded); try again with a longer --timeout, or end it and its children with 'agentd daemon kill'");
      } catch (IOException e) {
        ProcessSignature h = holder(home).orElseThrow(() -> notRunning(home));
        if (isStopped(h.pid())) {
          throw stopped(home, h);
        }
        if (System.nanoTime() >= deadline) {
          Path socket = home.resolve("run").resolve("control.sock");
          throw new NoAnswer(NOT_RESPONDING, h.pid(), "agentd is not responding (pid " + h.pid() + ", home " + home
              + "): its control socket " + socket + (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)
                  ? " takes no connections (refused, or its queue is full)" : " is missing")
              + " and did not come back within " + Durations.format(timeout) + "; end it and its children with 'agentd daemon kill'");
        }
        Thread.sleep(Math.max(1, Math.min(100, (deadline - System.nanoTime()) / 1_000_000))); // another process: starting, or binding again
      }
    }
  }

  private static NoAnswer notRunning(Path home) {
    return new NoAnswer(NOT_RUNNING, -1, "agentd is not running (home " + home + ")");
  }

  private static NoAnswer stopped(Path home, ProcessSignature h) {
    return new NoAnswer(NOT_RESPONDING, h.pid(), "agentd is not responding (pid " + h.pid() + ", home " + home
        + "): it is stopped (SIGSTOP or a debugger); 'kill -CONT " + h.pid() + "' resumes it, 'agentd daemon kill' ends it and its"
        + " children");
  }

  /**
   * What {@code daemon status --json} prints when there is no answer: {@code running} false when
   * not running; when not responding, {@code running} true (a process holds the home: starting
   * another would be wrong) and {@code responding} false, with its pid and the reason.
   */
  static String statusJson(Path home, NoAnswer e) {
    StringBuilder b = new StringBuilder("{\"supervisor\":{\"running\":").append(e.code() != NOT_RUNNING);
    if (e.code() != NOT_RUNNING) {
      b.append(",\"responding\":false");
      e.pid().ifPresent(p -> b.append(",\"pid\":").append(p));
    }
    b.append(",\"home\":").append(quote(home.toString()));
    if (e.code() != NOT_RUNNING) {
      b.append(",\"error\":").append(quote(e.getMessage()));
    }
    return b.append("},\"children\":[]}").toString();
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
