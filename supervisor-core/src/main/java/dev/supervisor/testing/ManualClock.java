package dev.supervisor.testing;

import dev.supervisor.spi.TimerClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;

/**
 * A clock that moves only when told. Give it to {@code Supervisor.Builder.clock(...)} and the
 * supervisor's timestamps, uptimes and restart-policy windows follow it, and so do its timers
 * (it is a {@link TimerClock}): {@link #advance} runs every timer that falls due on the way, in
 * time order, so a whole backoff schedule plays out in milliseconds. A timer a task sets while
 * {@code advance} runs fires in a later {@code advance} (the supervisor's tasks only hand work to
 * its event loop, which sets the next timer after {@code advance} has returned). Threadsafe.
 */
public final class ManualClock extends Clock implements TimerClock {
  private volatile Instant now;
  private long sequence;
  /** Guarded by this. */
  private final PriorityQueue<Due> timers = new PriorityQueue<>();

  private static final class Due implements Comparable<Due>, Timer {
    final Instant at;
    final long seq;
    final Runnable task;
    volatile boolean cancelled;

    Due(Instant at, long seq, Runnable task) {
      this.at = at;
      this.seq = seq;
      this.task = task;
    }

    @Override
    public int compareTo(Due o) {
      int c = at.compareTo(o.at);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }

    @Override
    public void cancel() {
      cancelled = true;
    }
  }

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

  /**
   * Moves time forward, then runs the timers now due, oldest due first (outside this clock's
   * lock).
   *
   * @throws IllegalArgumentException if {@code by} is negative
   */
  public ManualClock advance(Duration by) {
    if (Objects.requireNonNull(by, "by").isNegative()) {
      throw new IllegalArgumentException("time only moves forward: " + by);
    }
    List<Due> fire = new ArrayList<>();
    synchronized (this) {
      now = now.plus(by);
      while (!timers.isEmpty() && !timers.peek().at.isAfter(now)) {
        fire.add(timers.poll());
      }
    }
    for (Due d : fire) {
      if (!d.cancelled) {
        d.task.run();
      }
    }
    return this;
  }

  /** How many timers are set, not yet due and not cancelled. */
  public synchronized int pendingTimers() {
    return (int) timers.stream().filter(d -> !d.cancelled).count();
  }

  /** When the next timer that is not cancelled falls due, if any. */
  public synchronized java.util.Optional<Instant> nextTimer() {
    return timers.stream().filter(d -> !d.cancelled).map(d -> d.at).min(Instant::compareTo);
  }

  @Override
  public synchronized Timer schedule(Duration delay, Runnable task) {
    Due d = new Due(now.plus(delay.isNegative() ? Duration.ZERO : delay), sequence++, Objects.requireNonNull(task, "task"));
    timers.add(d);
    return d;
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
