package dev.supervisor.event;

import java.time.Instant;

/** The log of child {@code name} is written again after a {@link LogWriteFailed}. */
public record LogWriteRecovered(Instant at, String name, long runId) implements SupervisorEvent {}
