package dev.supervisor.event;

import dev.supervisor.ChildState;
import dev.supervisor.ExitStatus;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A child moved from one state to another.
 *
 * @param pid the process of the run, when one exists
 * @param exit present when the transition was caused by the run ending
 * @param reason why, in a sentence, when there is more to say than the states
 */
public record ChildStateChanged(Instant at, String name, long runId, OptionalLong pid, ChildState from, ChildState to,
    Optional<ExitStatus> exit, Optional<String> reason) implements SupervisorEvent {}
