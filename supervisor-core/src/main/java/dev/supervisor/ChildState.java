package dev.supervisor;

/**
 * State of one child. Every transition is published as a
 * {@link dev.supervisor.event.ChildStateChanged} event with the run id, pid and exit.
 *
 * <pre>
 * from       to         when
 * STOPPED    STARTING   supervisor start, operator start/restart (waits here for dependsOn)
 * STARTING   RUNNING    the process was spawned (pid known)
 * STARTING   BACKOFF    the spawn failed (missing executable, bad working directory): a crash
 * STARTING   FATAL      the spawn failed and the restart policy gave up
 * RUNNING    READY      the readiness probe passed (only when readiness is configured)
 * RUNNING/READY BACKOFF exited with a failure (or under ALWAYS); restart scheduled
 * RUNNING/READY EXITED  exited and the policy does not restart (clean exit under ON_FAILURE, NEVER)
 * RUNNING/READY FATAL   exited and the policy gave up (too many restarts in the window)
 * RUNNING/READY STOPPING stop requested: stop signal to the process group, then SIGKILL after the grace
 * STOPPING   STOPPED    the process group is empty
 * STOPPING   BACKOFF    stopped by a ONE_FOR_ALL / REST_FOR_ONE strategy, waiting to start again
 * BACKOFF    STARTING   the backoff delay elapsed
 * BACKOFF/EXITED/FATAL STOPPED  operator stop, supervisor stop
 * EXITED/FATAL STARTING operator start or restart (clears the restart history)
 * </pre>
 */
public enum ChildState {
  /** Waiting for its dependencies or about to be spawned. */
  STARTING,
  /** Spawned and alive. */
  RUNNING,
  /** Alive and its readiness probe passed. */
  READY,
  /** Stop signal sent to the process group; waiting for it to empty. */
  STOPPING,
  /** Not running, by request. */
  STOPPED,
  /** Exited and not restarted by policy (a clean exit under ON_FAILURE, any exit under NEVER). */
  EXITED,
  /** Exited; a restart is scheduled at {@code nextRestartAt}. */
  BACKOFF,
  /** The restart policy gave up; stays here until an operator starts or restarts the child. */
  FATAL;

  /** True while a process of this child may be alive. */
  public boolean isAlive() {
    return this == RUNNING || this == READY || this == STOPPING;
  }
}
