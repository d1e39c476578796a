package dev.supervisor;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The built-in restart policy: a {@link RestartMode}, a {@link Backoff}, a backoff reset after a
 * stable uptime, and a give-up breaker ({@code maxRestarts} restarts in a {@code window} leads to
 * FATAL). Immutable and threadsafe; every {@code with...} returns a copy.
 *
 * <p>The backoff attempt {@code n} counts the un-requested exits in a row, the current one
 * included, going back until a run that stayed up at least {@code resetAfter}; so a child that
 * ran for an hour and then crashed is restarted after {@code backoff.delay(1)}.
 */
public final class StandardRestartPolicy implements RestartPolicy {
  static final StandardRestartPolicy DEFAULT = new StandardRestartPolicy(
      RestartMode.ON_FAILURE, Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(30)),
      Duration.ofSeconds(60), 5, Duration.ofSeconds(60));

  private final RestartMode mode;
  private final Backoff backoff;
  private final Duration resetAfter;
  private final int maxRestarts; // 0 = restart forever
  private final Duration window;

  private StandardRestartPolicy(RestartMode mode, Backoff backoff, Duration resetAfter, int maxRestarts, Duration window) {
    this.mode = mode;
    this.backoff = backoff;
    this.resetAfter = resetAfter;
    this.maxRestarts = maxRestarts;
    this.window = window;
  }

  /** A copy with another mode. */
  public StandardRestartPolicy withMode(RestartMode mode) {
    return new StandardRestartPolicy(Objects.requireNonNull(mode, "mode"), backoff, resetAfter, maxRestarts, window);
  }

  /** A copy with another backoff. */
  public StandardRestartPolicy withBackoff(Backoff backoff) {
    return new StandardRestartPolicy(mode, Objects.requireNonNull(backoff, "backoff"), resetAfter, maxRestarts, window);
  }

  /**
   * A copy whose backoff attempt count resets after a run that stayed up {@code stable}.
   *
   * @throws IllegalArgumentException if {@code stable} is negative
   */
  public StandardRestartPolicy withBackoffResetAfter(Duration stable) {
    if (Objects.requireNonNull(stable, "stable").isNegative()) {
      throw new IllegalArgumentException("stable must not be negative, got " + stable);
    }
    return new StandardRestartPolicy(mode, backoff, stable, maxRestarts, window);
  }

  /**
   * A copy that gives up (FATAL) when an exit comes after {@code maxRestarts} restarts within {@code window}.
   *
   * @throws IllegalArgumentException if {@code maxRestarts} is not in 1..{@value RestartContext#HISTORY_LIMIT}
   *     or {@code window} is not positive
   */
  public StandardRestartPolicy giveUpAfter(int maxRestarts, Duration window) {
    if (maxRestarts < 1 || maxRestarts > RestartContext.HISTORY_LIMIT) {
      throw new IllegalArgumentException("maxRestarts must be in 1.." + RestartContext.HISTORY_LIMIT + ", got " + maxRestarts
          + " (use restartForever() for no limit)");
    }
    if (Objects.requireNonNull(window, "window").isNegative() || window.isZero()) {
      throw new IllegalArgumentException("window must be positive, got " + window);
    }
    return new StandardRestartPolicy(mode, backoff, resetAfter, maxRestarts, window);
  }

  /** A copy that never gives up. */
  public StandardRestartPolicy restartForever() {
    return new StandardRestartPolicy(mode, backoff, resetAfter, 0, window);
  }

  public RestartMode mode() { return mode; }

  public Backoff backoff() { return backoff; }

  public Duration backoffResetAfter() { return resetAfter; }

  /** The give-up limit, or 0 when the policy restarts forever. */
  public int maxRestarts() { return maxRestarts; }

  public Duration window() { return window; }

  @Override
  public RestartDecision decide(RestartContext context) {
    ExitStatus exit = context.exit();
    if (mode == RestartMode.NEVER) {
      return RestartDecision.noRestart(exit + "; restart mode NEVER");
    }
    if (mode == RestartMode.ON_FAILURE && !exit.isFailure()) {
      return RestartDecision.noRestart(exit + "; restart mode ON_FAILURE restarts only failures");
    }
    if (maxRestarts > 0) {
      Instant since = context.now().minus(window);
      long inWindow = context.recentRestarts().stream().filter(t -> t.isAfter(since)).count();
      if (inWindow >= maxRestarts) {
        return RestartDecision.giveUp(inWindow + " restarts in " + Durations.format(window) + " (last " + exit + ")");
      }
    }
    int attempt = attempt(context.history());
    Duration delay = backoff.delay(attempt);
    return RestartDecision.restartAfter(delay, exit + ", attempt " + attempt + ": restart in " + Durations.format(delay));
  }

  private int attempt(List<RunRecord> history) {
    int attempt = 0;
    for (int i = history.size() - 1; i >= 0; i--) {
      RunRecord run = history.get(i);
      if (run.exit().requested()) {
        break;
      }
      attempt++;
      if (run.uptime().compareTo(resetAfter) >= 0) {
        break;
      }
    }
    return Math.max(1, attempt);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StandardRestartPolicy p && mode == p.mode && backoff.equals(p.backoff)
        && resetAfter.equals(p.resetAfter) && maxRestarts == p.maxRestarts && window.equals(p.window);
  }

  @Override
  public int hashCode() {
    return Objects.hash(mode, backoff, resetAfter, maxRestarts, window);
  }

  /** Reads like the code: {@code onFailure(exponential(1s..30s), resetAfter 60s, giveUpAfter 5 in 60s)}. */
  @Override
  public String toString() {
    String m = mode == RestartMode.ON_FAILURE ? "onFailure" : mode.name().toLowerCase(java.util.Locale.ROOT);
    return m + "(" + backoff + ", resetAfter " + Durations.format(resetAfter) + ", "
        + (maxRestarts == 0 ? "restartForever" : "giveUpAfter " + maxRestarts + " in " + Durations.format(window)) + ")";
  }
}
