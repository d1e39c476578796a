package dev.supervisor.event;

import java.time.Duration;
import java.time.Instant;

/** The restart policy (or a strategy) scheduled a restart of {@code name} after {@code delay}. */
public record RestartScheduled(Instant at, String name, long runId, Duration delay, String reason) implements SupervisorEvent {}
