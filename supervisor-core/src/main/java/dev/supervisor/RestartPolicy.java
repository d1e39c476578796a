package dev.supervisor;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Decides whether and when an exited child starts again. Implementations must be pure, fast and
 * free of I/O: they run on the supervisor's event thread. Threadsafe.
 *
 * <p>The built-in {@link StandardRestartPolicy} covers the usual needs:
 * <pre>{@code
 * RestartPolicy.standard()                                   // ON_FAILURE, exponential(1s..30s), reset after 60s, 5 in 60s
 * RestartPolicy.of(RestartMode.ALWAYS, Backoff.fixed(Duration.ZERO)).restartForever()
 * }</pre>
 */
@FunctionalInterface
public interface RestartPolicy {

  /** Decides for the run that just ended ({@code context.lastRun()}). Must not throw. */
  RestartDecision decide(RestartContext context);

  /**
   * What this policy would do if the child crashed (exit code 1) {@code crashes} times in a row,
   * each run lasting {@code uptime}: the delays, and the crash at which it would give up. It runs
   * {@link #decide} on a simulated history, so it explains any policy; it stops early at the
   * first decision that is not a restart.
   *
   * @throws IllegalArgumentException if {@code uptime} is negative or {@code crashes} is not in 1..256
   */
  default RestartExplanation explain(Duration uptime, int crashes) {
    if (Objects.requireNonNull(uptime, "uptime").isNegative()) {
      throw new IllegalArgumentException("uptime must not be negative, got " + uptime);
    }
    if (crashes < 1 || crashes > RestartContext.HISTORY_LIMIT) {
      throw new IllegalArgumentException("crashes must be in 1.." + RestartContext.HISTORY_LIMIT + ", got " + crashes);
    }
    Instant origin = Instant.EPOCH;
    Instant start = origin;
    List<RunRecord> history = new ArrayList<>();
    List<Instant> restarts = new ArrayList<>();
    List<RestartExplanation.Step> steps = new ArrayList<>();
    OptionalInt fatal = OptionalInt.empty();
    for (int crash = 1; crash <= crashes; crash++) {
      Instant end = start.plus(uptime);
      history.add(new RunRecord(crash, start, end, ExitStatus.exited(1), crash > 1));
      RestartDecision d = decide(RestartContext.of("explain", end, history, restarts));
      steps.add(new RestartExplanation.Step(crash, Duration.between(origin, end), d));
      if (d.action() != RestartDecision.Action.RESTART) {
        if (d.action() == RestartDecision.Action.GIVE_UP) {
          fatal = OptionalInt.of(crash);
        }
        break;
      }
      restarts.add(end); // as the supervisor does: a restart counts when it is decided
      start = end.plus(d.delay().orElseThrow());
    }
    return new RestartExplanation(toString(), uptime, steps, fatal);
  }

  /**
   * ON_FAILURE, {@code Backoff.exponential(1s, 30s)}, backoff reset after 60 s up, give up after
   * 5 restarts in 60 s.
   */
  static StandardRestartPolicy standard() {
    return StandardRestartPolicy.DEFAULT;
  }

  /** The standard policy with another mode and backoff (same reset and give-up defaults). */
  static StandardRestartPolicy of(RestartMode mode, Backoff backoff) {
    return standard().withMode(mode).withBackoff(backoff);
  }

  /** Never restarts: the child is EXITED after any exit. */
  static StandardRestartPolicy never() {
    return standard().withMode(RestartMode.NEVER);
  }
}
