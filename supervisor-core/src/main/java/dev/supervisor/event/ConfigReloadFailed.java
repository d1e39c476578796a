package dev.supervisor.event;

import java.time.Instant;

/**
 * A reload was refused: the new config could not be read or its children are invalid (the
 * message names the file and field, or the unknown dependency, cycle or duplicate). Nothing changed.
 */
public record ConfigReloadFailed(Instant at, String message) implements SupervisorEvent {}
