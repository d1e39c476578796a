package dev.supervisor.event;

import java.time.Instant;

/** A health check (or readiness probe past its timeout) failed; at {@code failuresToRestart} in a row the child is killed as a crash. */
public record HealthCheckFailed(Instant at, String name, long runId, int consecutive, int failuresToRestart, String message)
    implements SupervisorEvent {}
