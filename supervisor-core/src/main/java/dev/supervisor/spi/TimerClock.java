package dev.supervisor.spi;

import java.time.Duration;

/**
 * A clock that keeps timers. A supervisor built with a {@link java.time.Clock} that implements
 * this runs its engine's timers on it instead of in real time: restart backoffs, the storm
 * breaker's probe, health-check intervals, the stop grace, readiness and watchdog timeouts, the
 * file-watch debounce and the periodic state flush. The engine's polls of the operating system
 * (is a stopped child's process group empty yet, is an adopted child still alive, log sizes,
 * {@code /proc} samples) stay in real time: they watch the real world, not the clock.
 * {@code dev.supervisor.testing.ManualClock} is one: its {@code advance} fires what is due.
 */
public interface TimerClock {
  /**
   * Runs {@code task} once this clock has reached now plus {@code delay}. The task must return at
   * once (the supervisor's tasks only hand work to its event loop).
   *
   * @return a handle that cancels the timer if it has not run yet
   */
  Timer schedule(Duration delay, Runnable task);

  /** A timer that can be cancelled. */
  @FunctionalInterface
  interface Timer {
    /** Cancels it if it has not run yet; harmless otherwise. */
    void cancel();
  }
}
