package dev.supervisor.ipc.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ipc.control.ControlClient;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.TestProcesses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(ProcessLeakGuard.class)
class DaemonTest {
  @TempDir Path dir;
  private final List<Path> homes = new ArrayList<>();
  private int homeCount;

  /** The daemon's command line; it gets the mark from the environment of whoever starts it (this JVM's env prefix, or a marked caller). */
  static List<String> daemonCommand(Path home) {
    return TestProcesses.java("-Xmx64m", "-XX:TieredStopAtLevel=1", DaemonMain.class.getName(), home.toString());
  }

  private Path home() throws Exception {
    Path h = Files.createDirectories(dir.resolve("h" + homeCount++));
    homes.add(h);
    return h;
  }

  /** ensureRunning from this JVM, with the leak mark in the daemon's environment. */
  private DaemonHandle ensure(Path home, String... children) throws Exception {
    List<String> cmd = new ArrayList<>(daemonCommand(home));
    cmd.addAll(List.of(children));
    cmd = TestProcesses.envMarked(cmd);
    return Daemons.ensureRunning(DaemonSpec.of(home, cmd).withStartTimeout(Duration.ofSeconds(30)));
  }

  @AfterEach
  void shutdownDaemons() throws Exception {
    for (Path h : homes) {
      try {
        ControlClient c = ControlClient.of(h.resolve("run/control.sock"));
        long pid = c.ping().pid();
        c.shutdown(Duration.ofSeconds(20));
        // the socket closes before the JVM has exited: wait for the process itself
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
      } catch (java.io.IOException | dev.supervisor.ipc.RpcException e) {
        // not running
      }
    }
    homes.clear();
  }

  @Test
  void startsTheSupervisorOnceAndThenFindsIt() throws Exception {
    Path home = home();
    DaemonHandle first = ensure(home, "a=exec sleep 1000", "b=exec sleep 1000");
    assertThat(first.startedByThisCall()).isTrue();
    ControlClient client = ControlClient.of(first.controlSocket());
    assertThat(client.health().healthy()).isTrue();
    assertThat(client.ping().pid()).isEqualTo(first.pid());
    String stat = Files.readString(Path.of("/proc", Long.toString(first.pid()), "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    assertThat(Long.parseLong(f[3])).as("its own session (sid == pid)").isEqualTo(first.pid());
    DaemonHandle again = ensure(home, "a=exec sleep 1000", "b=exec sleep 1000");
    assertThat(again.startedByThisCall()).isFalse();
    assertThat(again.pid()).isEqualTo(first.pid());
  }

  @Test
  void aHomeMadeByEnsureRunningIsOwnerOnly() throws Exception {
    Path home = dir.resolve("new/home"); // missing: run/ and logs/ are made before the supervisor runs
    homes.add(home);
    ensure(home, "a=echo hello; exec sleep 1000");
    List<String> loose = new ArrayList<>();
    try (var all = Files.walk(dir.resolve("new"))) {
      for (Path p : (Iterable<Path>) all::iterator) {
        String mode = java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
        if (!mode.equals(Files.isDirectory(p) ? "rwx------" : "rw-------")) {
          loose.add(p + " " + mode);
        }
      }
    }
    assertThat(loose).isEmpty();
    assertThat(home.resolve("logs/daemon.log")).exists();
    assertThat(home.resolve("run/ensure.lock")).exists();
  }

  @Test
  void aSupervisorThatExitsAtOnceIsReportedWithItsLogTail() throws Exception {
    Path home = home();
    List<String> cmd = TestProcesses.envMarked(List.of("sh", "-c", "echo 'config is broken' >&2; exit 3"));
    assertThatThrownBy(() -> Daemons.ensureRunning(DaemonSpec.of(home, cmd)))
        .isInstanceOf(DaemonStartException.class)
        .hasMessageStartingWith("the supervisor (pid ")
        .hasMessageContaining(" exited with code 3 before it was ready\n--- last 3 lines of " + home.resolve("logs/daemon.log") + " ---\n")
        .hasMessageEndingWith("starting supervisor: " + String.join(" ", cmd) + "\nconfig is broken");
  }

  @Test
  void aSupervisorWhoseChildCannotComeUpIsReported() throws Exception {
    Path home = home();
    assertThatThrownBy(() -> ensure(home, "ok=exec sleep 1000", "broken=direct:/nonexistent/binary"))
        .isInstanceOf(DaemonStartException.class)
        .hasMessageContaining("started but cannot become ready: child 'broken' is FATAL")
        .hasMessageContaining("; it is left running\n--- last ")
        .satisfies(e -> assertThat(kind(e)).isEqualTo(DaemonStartException.Kind.UNHEALTHY))
        .hasMessageContaining("executable '/nonexistent/binary' does not exist");
  }

  private final List<Process> holders = new ArrayList<>();

  @AfterEach
  void killHolders() throws Exception {
    for (Process p : holders) {
      TestProcesses.run("kill", "-CONT", Long.toString(p.pid()));
      p.destroyForcibly().waitFor();
    }
    holders.clear();
  }

  /** A process that takes the home's PID lock and then answers nothing ({@link SilentHolderMain}). */
  private Process silentHolder(Path home, String mode) throws Exception {
    Process p = TestProcesses.builder(TestProcesses.java("-Xmx32m", SilentHolderMain.class.getName(), home.toString(), mode))
        .redirectErrorStream(true).start();
    holders.add(p);
    assertThat(new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).readLine()).isEqualTo("holding");
    return p;
  }

  private DaemonSpec spec(Path home) {
    return DaemonSpec.of(home, TestProcesses.envMarked(List.of("sh", "-c", "echo must not start; exit 9"))).withStartTimeout(Duration.ofSeconds(2))
        .withAnswerTimeout(Duration.ofSeconds(1));
  }

  private static DaemonStartException.Kind kind(Throwable t) {
    return ((DaemonStartException) t).kind();
  }

  /** Issue: with the supervisor SIGSTOPped, a start waited out its whole start timeout; now it says so at once. */
  @Test
  void aStoppedSupervisorIsNotRespondingAtOnceAndNothingIsStarted() throws Exception {
    Path home = home();
    DaemonHandle d = ensure(home, "a=exec sleep 1000");
    TestProcesses.run("kill", "-STOP", Long.toString(d.pid()));
    try {
      // kill returns once the signal is sent; the JVM's threads stop a moment later (a CI run once looked in between)
      await().atMost(Duration.ofSeconds(5)).until(() -> dev.supervisor.persist.ProcessSignature.isStopped(d.pid()));
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> Daemons.ensureRunning(spec(home).withAnswerTimeout(Duration.ofSeconds(5))))
          .isInstanceOf(DaemonStartException.class)
          .hasMessage("the supervisor (pid " + d.pid() + ") holds " + home + " but does not answer: it is stopped (SIGSTOP or a"
              + " debugger) and cannot answer; nothing was started (a second one would fight it for its children)")
          .satisfies(e -> assertThat(kind(e)).isEqualTo(DaemonStartException.Kind.NOT_RESPONDING))
          .satisfies(e -> assertThat(((DaemonStartException) e).pid()).hasValue(d.pid()));
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("at once, not after the answer timeout").isLessThan(Duration.ofSeconds(3));
    } finally {
      TestProcesses.run("kill", "-CONT", Long.toString(d.pid()));
    }
    assertThat(Daemons.ensureRunning(spec(home)).pid()).isEqualTo(d.pid());
  }

  @Test
  void aHolderWhoseSocketAcceptsButNeverAnswersIsNotRespondingAfterTheAnswerTimeout() throws Exception {
    Path home = home();
    Process holder = silentHolder(home, "silent");
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> Daemons.ensureRunning(spec(home)))
        .isInstanceOf(DaemonStartException.class)
        .hasMessage("the supervisor (pid " + holder.pid() + ") holds " + home + " but does not answer: its control socket accepts"
            + " connections but did not answer within 1000 ms (hung or overloaded); nothing was started (a second one would fight it"
            + " for its children)")
        .satisfies(e -> assertThat(kind(e)).isEqualTo(DaemonStartException.Kind.NOT_RESPONDING));
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
    assertThat(home.resolve("logs/daemon.log")).doesNotExist();
    holder.destroyForcibly().waitFor(); // before the shutdown of the homes, which would wait on its silent socket
  }

  @Test
  void aHolderWithoutASocketIsWaitedForWhileItMayBeStartingThenNotResponding() throws Exception {
    Path home = home();
    Process holder = silentHolder(home, "nosocket");
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> Daemons.ensureRunning(spec(home)))
        .isInstanceOf(DaemonStartException.class)
        .hasMessage("the supervisor (pid " + holder.pid() + ") holds " + home + " but does not answer: its control socket "
            + home.resolve("run/control.sock") + " is missing and did not come back within 1000 ms; nothing was started (a second"
            + " one would fight it for its children)")
        .satisfies(e -> assertThat(kind(e)).isEqualTo(DaemonStartException.Kind.NOT_RESPONDING));
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("at most the start timeout from when it took the lock")
        .isLessThan(Duration.ofSeconds(5));
    assertThat(home.resolve("logs/daemon.log")).doesNotExist();
  }

  @Test
  void aDeletedControlSocketComesBackAndIsFound() throws Exception {
    Path home = home();
    DaemonHandle d = ensure(home, "a=exec sleep 1000");
    Files.delete(home.resolve("run/control.sock"));
    DaemonHandle again = Daemons.ensureRunning(spec(home).withAnswerTimeout(Duration.ofSeconds(5)));
    assertThat(again.pid()).isEqualTo(d.pid());
    assertThat(again.startedByThisCall()).isFalse();
  }

  /**
   * 20 caller processes at once, {@code -Densure.rounds=N} times (default 2; the reliability
   * report's long run uses 20): every round ends with exactly one supervisor.
   */
  @Test
  void twentyConcurrentCallersInSeparateProcessesEndWithOneSupervisor() throws Exception {
    int rounds = Integer.getInteger("ensure.rounds", 2);
    for (int round = 0; round < rounds; round++) {
      Path home = home();
      List<Process> callers = new ArrayList<>();
      List<Path> outs = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        Path out = dir.resolve("caller-" + round + "-" + i + ".out");
        outs.add(out);
        // marked: the caller's ensureRunning passes its environment, the mark with it, to the daemon it starts
        callers.add(TestProcesses.builder(TestProcesses.java("-XX:TieredStopAtLevel=1", "-Xmx64m", EnsureMain.class.getName(),
            home.toString(), "only=exec sleep 1000"))
            .redirectErrorStream(true).redirectOutput(out.toFile()).start());
      }
      // 25 s per round for all 20 callers (a round takes about 11 s): the default two rounds stay inside
      // the 60 s default test timeout (junit-platform.properties); long runs raise that timeout
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(25);
      for (Process p : callers) {
        assertThat(p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)).as("caller finished within 25 s").isTrue();
      }
      List<String> lines = new ArrayList<>();
      for (Path out : outs) {
        String text = Files.readString(out).trim();
        lines.add(text.substring(text.lastIndexOf('\n') + 1));
      }
      long daemon = ControlClient.of(home.resolve("run/control.sock")).ping().pid();
      assertThat(lines).as("round %d", round).filteredOn(l -> l.startsWith("started ")).containsExactly("started " + daemon);
      assertThat(lines).as("round %d", round).filteredOn(l -> l.startsWith("existing ")).hasSize(19)
          .allMatch(l -> l.equals("existing " + daemon));
      shutdownDaemons(); // before the next round, so rounds do not pile up supervisors
    }
    System.out.printf("ensure: %d rounds of 20 concurrent callers, one supervisor each%n", rounds);
  }
}
