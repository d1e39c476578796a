package dev.supervisor;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One finished run of a child, as restart policies see it.
 *
 * @param runId the run's id (increases with every spawn of the child)
 * @param startedAt when the process was spawned (or its start attempted)
 * @param endedAt when its exit was observed
 * @param exit how it ended
 * @param automatic true when the run was started by the restart policy, not by an operator or the initial start
 */
public record RunRecord(long runId, Instant startedAt, Instant endedAt, ExitStatus exit, boolean automatic) {
  public RunRecord {
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(endedAt, "endedAt");
    Objects.requireNonNull(exit, "exit");
  }

  /** How long the run lasted (zero for a failed start). */
  public Duration uptime() {
    Duration d = Duration.between(startedAt, endedAt);
    return d.isNegative() ? Duration.ZERO : d;
  }
}
