package dev.supervisor.event;

import java.time.Instant;

/**
 * The log of child {@code name} cannot be written (its file system is full or read-only, the file
 * was deleted while the child runs, its directory cannot be created, a rotation failed): emitted
 * once when that starts; supervision goes on, the check is retried, and
 * {@link LogWriteRecovered} follows once the log is written again.
 */
public record LogWriteFailed(Instant at, String name, long runId, String reason) implements SupervisorEvent {}
