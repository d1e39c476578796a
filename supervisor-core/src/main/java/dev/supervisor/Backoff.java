package dev.supervisor;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * The delay before restart attempt {@code n} (1-based). A pure function of the attempt; the
 * built-ins print as the code that made them, e.g. {@code exponential(1s..30s).withJitter(0.2)}.
 * Implementations are threadsafe.
 */
@FunctionalInterface
public interface Backoff {

  /** The delay before attempt {@code attempt} (at least 1). Never negative. */
  Duration delay(int attempt);

  /** The same delay for every attempt; {@code fixed(Duration.ZERO)} restarts at once. */
  static Backoff fixed(Duration delay) {
    return new BackoffImpl.Fixed(checkDelay(delay, "delay"));
  }

  /** {@code min(initial x 2^(attempt-1), max)}: 1s, 2s, 4s ... 30s for {@code exponential(1s, 30s)}. */
  static Backoff exponential(Duration initial, Duration max) {
    return exponential(initial, max, 2.0);
  }

  /**
   * {@code min(initial x multiplier^(attempt-1), max)}.
   *
   * @throws IllegalArgumentException if a duration is negative, {@code max < initial} or {@code multiplier < 1}
   */
  static Backoff exponential(Duration initial, Duration max, double multiplier) {
    checkDelay(initial, "initial");
    checkDelay(max, "max");
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("max (" + Durations.format(max) + ") must not be less than initial (" + Durations.format(initial) + ")");
    }
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("multiplier must be a finite number >= 1, got " + multiplier);
    }
    return new BackoffImpl.Exponential(initial, max, multiplier, 0, null);
  }

  /**
   * Spreads each delay uniformly over {@code delay x (1 +- factor)}; for {@code exponential} the
   * cap is applied after the jitter.
   *
   * @throws IllegalArgumentException if {@code factor} is not in [0, 1]
   */
  default Backoff withJitter(double factor) {
    return withJitter(factor, null);
  }

  /** {@link #withJitter(double)} with a given random source (for reproducible tests); null means a shared default. */
  default Backoff withJitter(double factor, RandomGenerator random) {
    BackoffImpl.checkJitter(factor);
    return new BackoffImpl.Jittered(this, factor, random);
  }

  private static Duration checkDelay(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative, got " + d);
    }
    return d;
  }
}
