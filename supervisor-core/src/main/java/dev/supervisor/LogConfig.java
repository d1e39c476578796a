package dev.supervisor;

import java.time.Duration;

import java.util.Objects;

/**
 * Where a child's stdout and stderr go. The default writes both to {@code <home>/logs/<name>.log},
 * rotated at 10 MiB, keeping 7 rotated files, gzipped. Immutable.
 *
 * <p>The child writes straight into the file (opened with {@code O_APPEND}): no supervisor thread
 * copies its output, so a child writing fast is never blocked and the supervisor's memory does not
 * grow with it. Rotation is therefore copy-then-truncate (as logrotate's {@code copytruncate}).
 * Sizes are checked adaptively: a growing log after half the time it needs to reach its limit at
 * its current rate, but at least every {@code Supervisor.Builder.logCheckInterval} (default 1 s);
 * a quiet log every 10 s. A rotated file can hold more than {@code maxBytes} (what the child wrote
 * since the last check), and bytes written in the microseconds between the final copy and the
 * truncate can be lost.
 */
public final class LogConfig {
  /** 10 MiB. */
  public static final long DEFAULT_MAX_BYTES = 10L * 1024 * 1024;
  /** 7 files. */
  public static final int DEFAULT_KEEP = 7;

  /** Rotated files older than this are deleted: 14 days. */
  public static final Duration DEFAULT_MAX_AGE = Duration.ofDays(14);

  private static final LogConfig DEFAULT = new LogConfig(true, DEFAULT_MAX_BYTES, DEFAULT_KEEP, true, DEFAULT_MAX_AGE, 0);
  private static final LogConfig DISCARD = new LogConfig(false, 0, 0, false, DEFAULT_MAX_AGE, 0);

  private final boolean enabled;
  private final long maxBytes;
  private final int keep;
  private final boolean gzip;
  private final Duration maxAge;
  private final long maxTotalBytes;

  private LogConfig(boolean enabled, long maxBytes, int keep, boolean gzip, Duration maxAge, long maxTotalBytes) {
    this.enabled = enabled;
    this.maxBytes = maxBytes;
    this.keep = keep;
    this.gzip = gzip;
    this.maxAge = maxAge;
    this.maxTotalBytes = maxTotalBytes;
  }

  /** 10 MiB, keep 7, gzip. */
  public static LogConfig defaults() {
    return DEFAULT;
  }

  /**
   * Rotate at {@code maxBytes}, keep {@code keep} rotated files ({@code <name>.log.1[.gz]} newest).
   *
   * @throws IllegalArgumentException if {@code maxBytes < 1} or {@code keep} is not in 1..1000
   */
  public static LogConfig rotating(long maxBytes, int keep, boolean gzip) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes must be positive, got " + maxBytes);
    }
    if (keep < 1 || keep > 1000) {
      throw new IllegalArgumentException("keep must be in 1..1000, got " + keep);
    }
    return new LogConfig(true, maxBytes, keep, gzip, DEFAULT_MAX_AGE, 0);
  }

  /**
   * A copy with retention: rotated files older than {@code maxAge} are deleted, and the oldest
   * ones while all rotated files of the child exceed {@code maxTotalBytes} (0: no cap beyond
   * {@code keep}). Checked after each rotation, at start and hourly.
   *
   * @throws IllegalArgumentException if {@code maxAge} is not positive or {@code maxTotalBytes} negative
   */
  public LogConfig withRetention(Duration maxAge, long maxTotalBytes) {
    if (Objects.requireNonNull(maxAge, "maxAge").isNegative() || maxAge.isZero()) {
      throw new IllegalArgumentException("maxAge must be positive, got " + maxAge);
    }
    if (maxTotalBytes < 0) {
      throw new IllegalArgumentException("maxTotalBytes must not be negative, got " + maxTotalBytes);
    }
    return new LogConfig(enabled, maxBytes, keep, gzip, maxAge, maxTotalBytes);
  }

  /** Output goes to {@code /dev/null}. */
  public static LogConfig discard() {
    return DISCARD;
  }

  public boolean enabled() { return enabled; }

  public long maxBytes() { return maxBytes; }

  public int keep() { return keep; }

  public boolean gzip() { return gzip; }

  /** Rotated files older than this are deleted (default 14 days). */
  public Duration maxAge() { return maxAge; }

  /** Cap on the bytes of all rotated files of the child; 0 for none. */
  public long maxTotalBytes() { return maxTotalBytes; }

  @Override
  public boolean equals(Object o) {
    return o instanceof LogConfig c && enabled == c.enabled && maxBytes == c.maxBytes && keep == c.keep && gzip == c.gzip
        && maxAge.equals(c.maxAge) && maxTotalBytes == c.maxTotalBytes;
  }

  @Override
  public int hashCode() {
    return Objects.hash(enabled, maxBytes, keep, gzip, maxAge, maxTotalBytes);
  }

  @Override
  public String toString() {
    return enabled ? "rotating(" + maxBytes + " bytes, keep " + keep + (gzip ? ", gzip" : "") + ", max age "
        + Durations.format(maxAge) + (maxTotalBytes > 0 ? ", at most " + maxTotalBytes + " bytes rotated" : "") + ")" : "discard()";
  }
}
