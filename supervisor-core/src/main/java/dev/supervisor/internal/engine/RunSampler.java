package dev.supervisor.internal.engine;

import dev.supervisor.internal.ProcStat;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The cpu time and peak rss of one child's current run, read from its {@code /proc} stat line
 * (one small read): within a second of the start, then every 30 s, so incidents of short and
 * long runs both carry figures while 500 idle children cost well under 1 % of a core. Loop-confined.
 */
final class RunSampler {
  private static final Duration EVERY = Duration.ofSeconds(30);

  private long peakRss = -1;
  private Duration cpu;
  private Instant lastAt;

  /** A new run: nothing sampled yet. */
  void reset() {
    peakRss = -1;
    cpu = null;
    lastAt = null;
  }

  /** Samples {@code pid} unless it was sampled less than 30 s ago. */
  void sample(long pid, Instant now) {
    if (lastAt != null && Duration.between(lastAt, now).compareTo(EVERY) < 0) {
      return;
    }
    lastAt = now;
    ProcStat.read(pid).ifPresent(st -> {
      cpu = st.cpuTime();
      peakRss = Math.max(peakRss, st.rssBytes());
    });
  }

  OptionalLong peakRss() {
    return peakRss < 0 ? OptionalLong.empty() : OptionalLong.of(peakRss);
  }

  Optional<Duration> cpu() {
    return Optional.ofNullable(cpu);
  }
}
