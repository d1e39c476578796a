package dev.supervisor.testsupport;

import dev.supervisor.Backoff;
import dev.supervisor.ChildSpec;
import dev.supervisor.RestartMode;
import dev.supervisor.RestartPolicy;
import java.time.Duration;

/**
 * Test children, one per failure mode, each a {@code sh -c} script carrying the leak-guard mark.
 * Their restart policy restarts after 20 ms, forever, unless a test says otherwise.
 */
public final class TestChildren {
  private TestChildren() {}

  /** A fast policy for tests: ON_FAILURE, fixed 20 ms, no give-up. */
  public static RestartPolicy fast() {
    return RestartPolicy.of(RestartMode.ON_FAILURE, Backoff.fixed(Duration.ofMillis(20))).restartForever();
  }

  /** {@code sh -c script}, marked, fast policy, 2 s stop grace. */
  public static ChildSpec.Builder sh(String name, String script) {
    return ChildSpec.builder(name)
        .argv("sh", "-c", script)
        .env(ProcessLeakGuard.MARK_VAR, ProcessLeakGuard.mark())
        .restartPolicy(fast())
        .stopGrace(Duration.ofSeconds(2));
  }

  /** Runs until stopped. */
  public static ChildSpec.Builder sleeps(String name) {
    return sh(name, "exec sleep 1000");
  }

  /** Exits at once with {@code code}. */
  public static ChildSpec.Builder exitsWithCode(String name, int code) {
    return sh(name, "exit " + code);
  }

  /** Ignores SIGTERM; only SIGKILL ends it. */
  public static ChildSpec.Builder ignoresSigterm(String name) {
    return sh(name, "trap '' TERM; echo started; while :; do sleep 0.05; done");
  }

  /**
   * Escapes its process group twice, then runs until stopped: a {@code setsid} grandchild (pid in
   * {@code setsidPid}) and a daemon-style double fork (a subshell starts a {@code setsid}'d sleep
   * and exits, so the sleep is re-parented to init; pid in {@code doubleForkPid}). Neither is in
   * the child's process group, so a group kill misses both.
   */
  public static ChildSpec.Builder escapesItsGroup(String name, java.nio.file.Path setsidPid, java.nio.file.Path doubleForkPid) {
    return sh(name, escapeScript(setsidPid, doubleForkPid) + "exec sleep 100000");
  }

  /** The part of {@link #escapesItsGroup} that starts the two escaped grandchildren. */
  public static String escapeScript(java.nio.file.Path setsidPid, java.nio.file.Path doubleForkPid) {
    return "setsid sleep 1000 & echo $! > " + setsidPid + ".tmp; mv " + setsidPid + ".tmp " + setsidPid + "; "
        + "(setsid sleep 1001 & echo $! > " + doubleForkPid + ".tmp); mv " + doubleForkPid + ".tmp " + doubleForkPid + "; ";
  }

  /** Starts a grandchild that ignores SIGTERM, writes its pid to {@code pidFile}, then waits. */
  public static ChildSpec.Builder forksGrandchild(String name, java.nio.file.Path pidFile) {
    return sh(name, "(trap '' TERM; exec sleep 1000) & echo $! > " + pidFile + "; wait");
  }
}
