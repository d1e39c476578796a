package dev.supervisor.event;

import java.time.Instant;

/** {@code name} could not be spawned (missing executable, bad working directory...); counts as a crash. */
public record ChildStartFailed(Instant at, String name, long runId, String reason) implements SupervisorEvent {}
