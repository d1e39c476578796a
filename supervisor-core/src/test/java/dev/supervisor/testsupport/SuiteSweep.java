package dev.supervisor.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * The end-of-suite sweep: when a module's test JVM (surefire's or failsafe's) has run all its tests,
 * any live process carrying a mark of this run ({@code SUPERVISOR_TEST_MARK=<run>.}, whatever the
 * test, with or without {@link ProcessLeakGuard} on it) is SIGKILLed, named in
 * {@code target/process-leak-sweep.txt} and on stderr, and the test JVM exits with status 86, which
 * fails the build. Registered through {@code META-INF/services} in each module's test resources.
 */
public final class SuiteSweep implements LauncherSessionListener {
  public static final int EXIT_STATUS = 86;

  @Override
  public void launcherSessionClosed(LauncherSession session) {
    List<String> survivors = sweep();
    if (survivors.isEmpty()) {
      return;
    }
    String report = "end-of-suite sweep: " + survivors.size() + " process(es) of this test run survived it (now killed):\n  "
        + String.join("\n  ", survivors) + "\n";
    try {
      Path target = Path.of("target");
      if (Files.isDirectory(target)) {
        Files.writeString(target.resolve("process-leak-sweep.txt"), report);
      }
    } catch (IOException e) {
      // the report still goes to stderr
    }
    // the fork's own stderr, not System.err (which surefire captures per test): it shows in the build's output
    try (java.io.PrintStream err = new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true,
        java.nio.charset.StandardCharsets.UTF_8)) {
      err.print(report);
    }
    Runtime.getRuntime().halt(EXIT_STATUS); // an exception here is only logged; a failed fork fails the build
  }

  /** Kills every live process (other than this JVM) marked with this run's prefix; their pids and command lines. */
  public static List<String> sweep() {
    String prefix = ProcessLeakGuard.RUN + ".";
    List<String> found;
    try {
      // a test's last children may be exiting at this instant: give them 2 s
      found = Awaitility.await().atMost(java.time.Duration.ofSeconds(2)).pollDelay(java.time.Duration.ZERO)
          .pollInterval(java.time.Duration.ofMillis(50)).until(() -> ProcessLeakGuard.findMarkedWithPrefix(prefix), List::isEmpty);
    } catch (ConditionTimeoutException e) {
      try {
        found = ProcessLeakGuard.findMarkedWithPrefix(prefix);
      } catch (IOException io) {
        throw new java.io.UncheckedIOException(io);
      }
    }
    for (String s : found) {
      Pids.kill9(Long.parseLong(s.substring(0, s.indexOf(' '))));
    }
    return found;
  }
}
