package dev.supervisor.event;

import java.time.Instant;

/** The state could not be saved; the supervisor goes on from memory and retries at the next change or flush. */
public record StateStoreWriteFailed(Instant at, String message) implements SupervisorEvent {}
