package dev.supervisor.event;

import java.nio.file.Path;
import java.time.Instant;

/** A change under a watched path restarted {@code name}: {@code file} is the change that triggered it (the last in the debounce window). */
public record WatchTriggered(Instant at, String name, Path file) implements SupervisorEvent {}
