package dev.supervisor;

import java.time.Duration;
import java.util.random.RandomGenerator;

/** The built-in {@link Backoff}s. Package-private: users see them only through the factories. */
final class BackoffImpl {
  private BackoffImpl() {}

  static void checkJitter(double factor) {
    if (!(factor >= 0 && factor <= 1)) {
      throw new IllegalArgumentException("jitter factor must be in [0, 1], got " + factor);
    }
  }

  static void checkAttempt(int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be >= 1, got " + attempt);
    }
  }

  static long jitter(long nanos, double factor, RandomGenerator random) {
    if (factor == 0 || nanos == 0) {
      return nanos;
    }
    RandomGenerator r = random != null ? random : java.util.concurrent.ThreadLocalRandom.current();
    double scale = 1 + factor * (2 * r.nextDouble() - 1);
    return Math.max(0, (long) (nanos * scale));
  }

  record Fixed(Duration delay) implements Backoff {
    @Override
    public Duration delay(int attempt) {
      checkAttempt(attempt);
      return delay;
    }

    @Override
    public String toString() {
      return "fixed(" + Durations.format(delay) + ")";
    }
  }

  record Exponential(Duration initial, Duration max, double multiplier, double jitter, RandomGenerator random) implements Backoff {
    @Override
    public Duration delay(int attempt) {
      checkAttempt(attempt);
      double nanos = initial.toNanos() * Math.pow(multiplier, attempt - 1);
      long capped = nanos >= max.toNanos() ? max.toNanos() : (long) nanos;
      return Duration.ofNanos(Math.min(BackoffImpl.jitter(capped, jitter, random), max.toNanos()));
    }

    @Override
    public Backoff withJitter(double factor, RandomGenerator random) {
      checkJitter(factor);
      return new Exponential(initial, max, multiplier, factor, random);
    }

    @Override
    public String toString() {
      String s = "exponential(" + Durations.format(initial) + ".." + Durations.format(max)
          + (multiplier == 2.0 ? "" : ", x" + multiplier) + ")";
      return jitter == 0 ? s : s + ".withJitter(" + jitter + ")";
    }
  }

  record Jittered(Backoff delegate, double factor, RandomGenerator random) implements Backoff {
    @Override
    public Duration delay(int attempt) {
      return Duration.ofNanos(jitter(delegate.delay(attempt).toNanos(), factor, random));
    }

    @Override
    public String toString() {
      return delegate + ".withJitter(" + factor + ")";
    }
  }
}
