package dev.supervisor.testsupport;

import dev.supervisor.ChildSpec;
import dev.supervisor.OrphanPolicy;
import dev.supervisor.Supervisor;
import dev.supervisor.persist.AlreadyRunningException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A supervisor in its own JVM, for tests about the host process:
 * {@code SupervisorMain HOME [--adopt] [--no-pdeathsig] [--no-breaker] NAME=SCRIPT...}. Starts the children
 * (marked for the leak guard with its own mark), writes {@code HOME/ready}, then blocks until killed.
 * If another supervisor holds the home, prints the error and exits 3; started without
 * {@code SUPERVISOR_TEST_MARK} in its environment, it refuses to run (exit 2).
 */
public final class SupervisorMain {
  public static final int ALREADY_RUNNING = 3;

  public static void main(String[] args) throws Exception {
    String mark = TestProcesses.requireMark(SupervisorMain.class.getSimpleName());
    Path home = Path.of(args[0]);
    Supervisor.Builder b = Supervisor.builder(home).shutdownTimeout(Duration.ofSeconds(20)).stateFlushInterval(Duration.ofMillis(200));
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--adopt" -> b.recovery(OrphanPolicy.ADOPT);
        case "--no-pdeathsig" -> b.parentDeathSignal(false);
        case "--no-breaker" -> b.stormBreaker(dev.supervisor.StormBreaker.off());
        default -> {
          String[] kv = args[i].split("=", 2);
          b.child(ChildSpec.builder(kv[0]).argv("sh", "-c", kv[1]).env(ProcessLeakGuard.MARK_VAR, mark)
              .restartPolicy(TestChildren.fast()).stopGrace(Duration.ofMillis(500)).build());
        }
      }
    }
    Supervisor sup = b.build();
    try {
      sup.startAsync();
    } catch (AlreadyRunningException e) {
      System.err.println(e.getMessage());
      System.exit(ALREADY_RUNNING);
    }
    sup.awaitHealthy(Duration.ofSeconds(20));
    Files.writeString(home.resolve("ready"), Long.toString(ProcessHandle.current().pid()));
    Thread.currentThread().join();
  }

  /** Starts this main in a new JVM, marked, with the test class path; its output goes to {@code HOME-jvm-<n>.log}. */
  public static Process launch(Path home, String... args) throws Exception {
    return start(home, command(home, args));
  }

  /**
   * As {@link #launch}, under {@code sh -c 'umask UMASK; exec java ...'}: the JVM cannot set its
   * own umask, and a test about file modes must not depend on the one the build was started with.
   */
  public static Process launchWithUmask(String umask, Path home, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("sh", "-c", "umask " + umask + " && exec \"$@\"", "sh"));
    cmd.addAll(command(home, args));
    return start(home, cmd);
  }

  /** The command {@link #launch} runs: this JVM's java with the test class path, for a test that wraps it (unshare...). */
  public static List<String> command(Path home, String... args) {
    List<String> cmd = new ArrayList<>(TestProcesses.java("-Xmx64m", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
        SupervisorMain.class.getName(), home.toString()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  private static Process start(Path home, List<String> cmd) throws Exception {
    Path out = Files.createTempFile(home.getParent(), home.getFileName() + "-jvm-", ".log");
    return TestProcesses.builder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
  }
}
