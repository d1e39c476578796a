package dev.supervisor.testing;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaves a process behind. Every test child made through {@link TestChildren}
 * carries {@code SUPERVISOR_TEST_MARK=<per-test uuid>} in its environment, which its own children
 * inherit; after the test, any live process whose {@code /proc/<pid>/environ} holds the mark is a
 * leak: it is SIGKILLed and the test fails naming it. Grandchildren reparented to init are found
 * too, which a descendants() check would miss.
 */
public final class ProcessLeakGuard implements BeforeEachCallback, AfterEachCallback {
  public static final String MARK_VAR = "SUPERVISOR_TEST_MARK";
  private static volatile String mark = "unset-" + UUID.randomUUID();

  /** The mark of the running test. */
  public static String mark() {
    return mark;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    mark = UUID.randomUUID().toString();
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    String m = mark;
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    List<String> leaks = findMarked(m);
    while (!leaks.isEmpty() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
      leaks = findMarked(m);
    }
    if (!leaks.isEmpty()) {
      for (String leak : leaks) {
        long pid = Long.parseLong(leak.substring(0, leak.indexOf(' ')));
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
      throw new AssertionError("test leaked " + leaks.size() + " process(es) (now killed): " + leaks);
    }
  }

  /** Live processes (pid and command line) whose environment carries {@code mark}. */
  public static List<String> findMarked(String mark) throws IOException {
    List<String> out = new ArrayList<>();
    for (Pids.Live p : Pids.live()) {
      if (Pids.hasEntry(p.environ(), MARK_VAR + "=" + mark)) {
        out.add(p.pid() + " " + p.cmdline());
      }
    }
    return out;
  }
}
