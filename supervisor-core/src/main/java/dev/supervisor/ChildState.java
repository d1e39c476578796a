package dev.supervisor;

/**
 * State of one child. Every transition is published as a
 * {@link dev.supervisor.event.ChildStateChanged} event with the run id, pid and exit. The table is
 * executable: {@link #successors()} holds exactly these rows (a test reads this comment and
 * compares), and the supervisor logs any other transition as a bug (and fails with
 * {@code -Dsupervisor.strictStates=true}, as the tests run).
 *
 * <pre>
 * from                  to                    when
 * STOPPED            -> STARTING              supervisor start, operator start/restart (waits here for dependsOn)
 * STOPPED            -> RUNNING               adopted from the previous supervisor (crash recovery, hand-over)
 * STOPPED            -> BACKOFF/EXITED/FATAL  recovery found it dead: a crash, as its policy decides
 * STOPPED            -> FATAL                 it was FATAL when the previous supervisor saved it
 * STARTING           -> RUNNING               the process was spawned (pid known)
 * STARTING           -> BACKOFF/EXITED/FATAL  the spawn failed (missing executable, bad working directory): a crash
 * STARTING           -> BACKOFF               its group restarts (ONE_FOR_ALL / REST_FOR_ONE) before it was spawned
 * STARTING           -> STOPPED               operator stop, supervisor stop, or a spawn that failed while stopping
 * RUNNING            -> READY                 readiness passed (probe or READY=1)
 * READY              -> RUNNING               RELOADING=1 or STOPPING=1 from a notify child: not ready until READY=1
 * RUNNING/READY      -> STOPPING              stop requested: stop signal to the process group, SIGKILL after the grace
 * RUNNING/READY      -> BACKOFF               exited with a failure (or under ALWAYS); restart scheduled
 * RUNNING/READY      -> EXITED                exited and the policy does not restart (clean exit under ON_FAILURE, NEVER)
 * RUNNING/READY      -> FATAL                 exited and the policy gave up (too many restarts in the window)
 * RUNNING/READY      -> STOPPED               exited on its own while the supervisor stops
 * STOPPING           -> STOPPED               the process group is empty (operator stop or restart, supervisor stop)
 * STOPPING           -> BACKOFF               stopped by a ONE_FOR_ALL / REST_FOR_ONE strategy, or killed as unhealthy
 * STOPPING           -> EXITED/FATAL          killed as unhealthy or hung, and the policy does not restart / gave up
 * BACKOFF            -> STARTING              the backoff delay elapsed
 * BACKOFF/EXITED/FATAL -> STOPPED             operator stop, supervisor stop
 * EXITED/FATAL       -> STARTING              operator start or restart (clears the restart history)
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

  /** The states this one may become: the table above. */
  public java.util.Set<ChildState> successors() {
    return Table.SUCCESSORS.get(this);
  }

  /** Whether {@code to} is one of {@link #successors()}. */
  public boolean canBecome(ChildState to) {
    return successors().contains(to);
  }

  private static final class Table {
    static final java.util.Map<ChildState, java.util.Set<ChildState>> SUCCESSORS = new java.util.EnumMap<>(ChildState.class);

    static {
      put(STOPPED, STARTING, RUNNING, BACKOFF, EXITED, FATAL);
      put(STARTING, RUNNING, BACKOFF, EXITED, FATAL, STOPPED);
      put(RUNNING, READY, STOPPING, BACKOFF, EXITED, FATAL, STOPPED);
      put(READY, RUNNING, STOPPING, BACKOFF, EXITED, FATAL, STOPPED);
      put(STOPPING, STOPPED, BACKOFF, EXITED, FATAL);
      put(BACKOFF, STARTING, STOPPED);
      put(EXITED, STARTING, STOPPED);
      put(FATAL, STARTING, STOPPED);
    }

    private static void put(ChildState from, ChildState... to) {
      SUCCESSORS.put(from, java.util.Collections.unmodifiableSet(java.util.EnumSet.copyOf(java.util.List.of(to))));
    }
  }

  /** True while a process of this child may be alive. */
  public boolean isAlive() {
    return this == RUNNING || this == READY || this == STOPPING;
  }
}
