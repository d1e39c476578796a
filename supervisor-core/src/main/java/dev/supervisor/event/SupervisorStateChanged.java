package dev.supervisor.event;

import dev.supervisor.SupervisorState;
import java.time.Instant;
import java.util.Optional;

/** The supervisor itself changed state; {@code cause} is present for FAILED. */
public record SupervisorStateChanged(Instant at, SupervisorState from, SupervisorState to, Optional<String> cause)
    implements SupervisorEvent {}
