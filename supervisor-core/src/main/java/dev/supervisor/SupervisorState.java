package dev.supervisor;

/**
 * Lifecycle of a {@link Supervisor}.
 *
 * <pre>
 * NEW      -> STARTING   startAsync()
 * NEW      -> TERMINATED stopAsync() before start
 * STARTING -> RUNNING    every child has been started once (spawned, or its start failed)
 * STARTING -> STOPPING   stopAsync()
 * RUNNING  -> STOPPING   stopAsync(), close(), JVM shutdown
 * STOPPING -> TERMINATED every child stopped (dependents first, a dependency level at once)
 * any      -> FAILED     an internal error; every child is stopped first, see failureCause()
 * </pre>
 *
 * TERMINATED and FAILED are terminal: a supervisor is not restarted, build a new one.
 */
public enum SupervisorState {
  NEW,
  STARTING,
  RUNNING,
  STOPPING,
  TERMINATED,
  FAILED;

  /** True for TERMINATED and FAILED. */
  public boolean isTerminal() {
    return this == TERMINATED || this == FAILED;
  }
}
