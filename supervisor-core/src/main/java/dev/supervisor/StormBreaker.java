package dev.supervisor;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A supervisor-wide restart budget. When many children crash together (a shared database is
 * down, the disk is full), restarting all of them in a loop helps nobody: when {@code children}
 * different children have crashed within {@code window}, the breaker trips. Restarts pause: the
 * first child whose restart comes due is tried alone (the probe, on its own restart policy), and
 * the others wait in BACKOFF. Once the probe has stayed up for {@code probe}, the breaker closes
 * and the others start, in start order. Crashes found by crash recovery (the supervisor itself
 * was down) do not count. An operator start of a held child starts it at once.
 *
 * <p>Default: {@link #majority()}, more than half of the children (at least 2) within 30 s,
 * probe 10 s. A supervisor with one child has no breaker. {@link #off()} turns it off. Immutable.
 *
 * @param children crashed children that trip it; 0 means more than half of the children, at least 2
 * @param window how recent a crash must be to count
 * @param probe how long the probe child must stay up before the others follow
 */
public record StormBreaker(int children, Duration window, Duration probe) {
  private static final StormBreaker OFF = new StormBreaker(Integer.MAX_VALUE, Duration.ofSeconds(1), Duration.ofSeconds(1));

  public StormBreaker {
    if (children < 0) {
      throw new IllegalArgumentException("children must be 0 (a majority) or at least 2, got " + children);
    }
    if (children == 1) {
      throw new IllegalArgumentException("children must be at least 2: one crashing child is its restart policy's business");
    }
    Durations.requirePositive(window, "window");
    Durations.requirePositive(probe, "probe");
  }

  /** Trips when more than half of the children (at least 2) crashed within 30 s; probe 10 s. */
  public static StormBreaker majority() {
    return new StormBreaker(0, Duration.ofSeconds(30), Duration.ofSeconds(10));
  }

  /** Trips when {@code children} different children crashed within {@code window}. */
  public static StormBreaker of(int children, Duration window, Duration probe) {
    return new StormBreaker(children, window, probe);
  }

  /** No breaker: each child follows its own restart policy only. */
  public static StormBreaker off() {
    return OFF;
  }

  /**
   * The breaker's state in a {@link SupervisorStatus}.
   *
   * @param open true while restarts are paused
   * @param openedAt when it tripped
   * @param probe the child being tried first
   * @param held the children waiting for the probe, in start order
   * @param breaker the settings in words
   */
  public record Status(boolean open, Optional<Instant> openedAt, Optional<String> probe, List<String> held, String breaker) {
    public Status {
      Objects.requireNonNull(openedAt, "openedAt");
      Objects.requireNonNull(probe, "probe");
      held = List.copyOf(held);
      Objects.requireNonNull(breaker, "breaker");
    }

    /** A closed breaker described by {@code breaker}. */
    public static Status closed(String breaker) {
      return new Status(false, Optional.empty(), Optional.empty(), List.of(), breaker);
    }
  }

  public boolean isOff() {
    return children == Integer.MAX_VALUE;
  }

  /** The number of crashed children that trips it among {@code total} children (MAX_VALUE: never). */
  public int threshold(int total) {
    if (isOff() || total < 2) {
      return Integer.MAX_VALUE;
    }
    return children == 0 ? Math.max(2, total / 2 + 1) : children;
  }

  @Override
  public String toString() {
    if (isOff()) {
      return "stormBreaker(off)";
    }
    return "stormBreaker(" + (children == 0 ? "majority" : children + " children") + " in " + Durations.format(window)
        + ", probe " + Durations.format(probe) + ")";
  }
}
