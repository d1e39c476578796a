package dev.supervisor.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * A clock that moves only when told. Give it to {@code Supervisor.Builder.clock(...)} and the
 * supervisor's timestamps, uptimes and restart-policy windows follow it (its timers still run in
 * real time). Threadsafe.
 */
public final class ManualClock extends Clock {
  private volatile Instant now;

  private ManualClock(Instant start) {
    this.now = start;
  }

  /** Starting at {@code 2026-01-01T00:00:00Z}. */
  public static ManualClock start() {
    return at(Instant.parse("2026-01-01T00:00:00Z"));
  }

  public static ManualClock at(Instant start) {
    return new ManualClock(Objects.requireNonNull(start, "start"));
  }

  /** Moves time forward. @throws IllegalArgumentException if {@code by} is negative */
  public synchronized ManualClock advance(Duration by) {
    if (Objects.requireNonNull(by, "by").isNegative()) {
      throw new IllegalArgumentException("time only moves forward: " + by);
    }
    now = now.plus(by);
    return this;
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return Clock.fixed(now, zone);
  }

  @Override
  public String toString() {
    return "ManualClock[" + now + "]";
  }
}
