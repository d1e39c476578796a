package dev.supervisor.testsupport;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The one way tests start a process: every builder made here carries the running test's
 * {@link ProcessLeakGuard#mark() mark}, and {@link #start} puts it back if the environment was
 * changed since. {@code new ProcessBuilder(} and {@code Runtime.exec} appear in no other test
 * source ({@code TestProcessesOnlyTest} fails the build if they do), and a direct child of the
 * test JVM seen without the mark fails the test ({@link ProcessLeakGuard}).
 */
public final class TestProcesses {
  private TestProcesses() {}

  /** A builder for {@code command} whose environment carries the running test's mark. */
  public static ProcessBuilder builder(String... command) {
    return builder(List.of(command));
  }

  /** A builder for {@code command} whose environment carries the running test's mark. */
  public static ProcessBuilder builder(List<String> command) {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put(ProcessLeakGuard.MARK_VAR, ProcessLeakGuard.mark());
    return pb;
  }

  /** Starts {@code pb} with the running test's mark in its environment. */
  public static Process start(ProcessBuilder pb) throws IOException {
    pb.environment().put(ProcessLeakGuard.MARK_VAR, ProcessLeakGuard.mark());
    return pb.start();
  }

  /** Starts {@code command}, marked, output discarded. */
  public static Process start(String... command) throws IOException {
    return start(builder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD));
  }

  /** Runs {@code command} (a {@code kill -STOP PID}, say) to its end, at most 30 s; its exit code. */
  public static int run(String... command) throws IOException, InterruptedException {
    Process p = start(command);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError(String.join(" ", command) + " did not finish within 30 s");
    }
    return p.exitValue();
  }

  /** {@code java -cp <the test class path> jvmArgsThenMainAndArgs...} with this JVM's own java binary. */
  public static List<String> java(String... jvmArgsThenMainAndArgs) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path")));
    cmd.addAll(List.of(jvmArgsThenMainAndArgs));
    return cmd;
  }

  /**
   * {@code env SUPERVISOR_TEST_MARK=<mark> command...}: for an API under test that takes a command
   * line but no environment (a daemon spec), so that what it starts carries the mark.
   */
  public static List<String> envMarked(List<String> command) {
    List<String> cmd = new ArrayList<>(List.of("env", ProcessLeakGuard.MARK_VAR + "=" + ProcessLeakGuard.mark()));
    cmd.addAll(command);
    return cmd;
  }

  /**
   * The mark a test main ({@code SupervisorMain}, {@code DaemonMain}) was started with; exits 2
   * with the reason if there is none, so a harness that starts one without the mark fails instead
   * of leaving children nobody would look for.
   */
  public static String requireMark(String main) {
    String mark = System.getenv(ProcessLeakGuard.MARK_VAR);
    if (mark == null || mark.isEmpty()) {
      System.err.println(main + ": refusing to run without " + ProcessLeakGuard.MARK_VAR + " in the environment: every process a test"
          + " starts carries the test's mark (start it through dev.supervisor.testsupport.TestProcesses), or its leaks go unseen");
      System.exit(2);
    }
    return mark;
  }
}
