package dev.supervisor.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guard must fail a test that leaks, or no test can claim to clean up. */
class ProcessLeakGuardTest {
  @TempDir Path dir;

  @Test
  void aLeakedMarkedProcessFailsTheTestAndIsKilled() throws Exception {
    ProcessLeakGuard guard = new ProcessLeakGuard();
    guard.beforeEach(null);
    Process leaked = TestProcesses.builder("sleep", "1000").start();
    assertThat(ProcessLeakGuard.findMarked(ProcessLeakGuard.mark())).singleElement().asString().startsWith(leaked.pid() + " sleep 1000");
    assertThatThrownBy(() -> guard.afterEach(null))
        .isInstanceOf(AssertionError.class)
        .hasMessageStartingWith("test leaked 1 process(es) (now killed): [" + leaked.pid() + " sleep 1000]");
    assertThat(leaked.waitFor(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void noLeakPasses() throws Exception {
    ProcessLeakGuard guard = new ProcessLeakGuard();
    guard.beforeEach(null);
    TestProcesses.run("true");
    guard.afterEach(null);
  }

  @Test
  void theMarkIsPerTestAndPrefixedWithTheRun() {
    ProcessLeakGuard guard = new ProcessLeakGuard();
    guard.beforeEach(null);
    String first = ProcessLeakGuard.mark();
    guard.beforeEach(null);
    assertThat(ProcessLeakGuard.mark()).isNotEqualTo(first).startsWith(ProcessLeakGuard.RUN + ".");
  }

  /** A harness that starts a process without the mark fails the test, even when the process has exited by then. */
  @Test
  void anUnmarkedDirectChildFailsTheTest() throws Exception {
    ProcessLeakGuard guard = new ProcessLeakGuard();
    guard.beforeEach(null);
    ProcessBuilder pb = TestProcesses.builder("sleep", "0.5");
    pb.environment().remove(ProcessLeakGuard.MARK_VAR);
    Process unmarked = pb.start(); // what a harness bypassing TestProcesses.start does
    assertThat(unmarked.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThatThrownBy(() -> guard.afterEach(null))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("test started 1 direct child process(es) without SUPERVISOR_TEST_MARK")
        .hasMessageContaining(unmarked.pid() + " sleep 0.5");
  }

  /**
   * A command run with a cleared environment (as the executor runs them) by a marked process
   * cannot carry the mark: it is found through the marked parent's process group.
   */
  @Test
  void aClearedEnvironmentGrandchildInAMarkedProcessGroupIsALeak() throws Exception {
    ProcessLeakGuard guard = new ProcessLeakGuard();
    guard.beforeEach(null);
    Path pidFile = dir.resolve("gc.pid");
    // setsid: its own group, as every supervised child; env -i: the grandchild has no mark; it escapes to init
    Process parent = TestProcesses.builder("setsid", "sh", "-c", "(env -i sleep 1000 & echo $! > " + pidFile + "); exec sleep 1").start();
    await().atMost(Duration.ofSeconds(10)).until(() -> Pids.readPid(pidFile) > 0);
    long grandchild = Pids.readPid(pidFile);
    assertThat(parent.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(ProcessLeakGuard.findMarked(ProcessLeakGuard.mark())).isEmpty();
    assertThatThrownBy(() -> guard.afterEach(null))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining(grandchild + " sleep 1000 (unmarked;");
    await().atMost(Duration.ofSeconds(5)).until(() -> !Pids.alive(grandchild));
  }
}
