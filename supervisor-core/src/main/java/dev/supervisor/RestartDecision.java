package dev.supervisor;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link RestartPolicy} decided for an exited child.
 *
 * @param action restart after {@code delay}, stay exited, or give up (FATAL)
 * @param delay the delay before the restart; present exactly when {@code action == RESTART}
 * @param reason a sentence for status and events ("exit code 3, attempt 2: restart in 2s")
 */
public record RestartDecision(Action action, Optional<Duration> delay, String reason) {

  /** The three outcomes. */
  public enum Action {
    /** Start the child again after the delay (state BACKOFF meanwhile). */
    RESTART,
    /** Do not restart; the child is EXITED (an intentional stop, or mode NEVER). */
    NO_RESTART,
    /** Do not restart; the child is FATAL until an operator restarts it. */
    GIVE_UP
  }

  public RestartDecision {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(delay, "delay");
    Objects.requireNonNull(reason, "reason");
    if ((action == Action.RESTART) != delay.isPresent()) {
      throw new IllegalArgumentException("delay must be present exactly for RESTART, got " + action + " with " + delay);
    }
    if (delay.isPresent() && delay.get().isNegative()) {
      throw new IllegalArgumentException("delay must not be negative: " + delay.get());
    }
  }

  /** Restart after {@code delay} (may be zero). */
  public static RestartDecision restartAfter(Duration delay, String reason) {
    return new RestartDecision(Action.RESTART, Optional.of(delay), reason);
  }

  /** Leave the child EXITED. */
  public static RestartDecision noRestart(String reason) {
    return new RestartDecision(Action.NO_RESTART, Optional.empty(), reason);
  }

  /** Put the child in FATAL. */
  public static RestartDecision giveUp(String reason) {
    return new RestartDecision(Action.GIVE_UP, Optional.empty(), reason);
  }
}
