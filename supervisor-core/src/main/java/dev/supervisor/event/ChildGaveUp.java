package dev.supervisor.event;

import java.time.Instant;

/** The restart policy gave up on {@code name}: it is FATAL until an operator starts or restarts it. */
public record ChildGaveUp(Instant at, String name, long runId, String reason) implements SupervisorEvent {}
