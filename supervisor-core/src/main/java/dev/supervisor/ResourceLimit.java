package dev.supervisor;

import java.util.Locale;
import java.util.Optional;

/**
 * A resource limit set in a child before it runs (soft = hard), with its config key. Values are
 * counts ({@code nofile}, {@code nproc}), bytes ({@code core}, {@code as}, {@code fsize}: a number
 * or {@code "100M"}, {@code "1G"} in powers of 1024) or seconds ({@code cpu}: a number or
 * {@code "60s"}, {@code "5m"}).
 */
public enum ResourceLimit {
  /** Open file descriptors ({@code RLIMIT_NOFILE}). */
  NOFILE("nofile", Unit.COUNT),
  /** Processes (threads) of the child's real user ({@code RLIMIT_NPROC}). */
  NPROC("nproc", Unit.COUNT),
  /** Core dump size in bytes ({@code RLIMIT_CORE}); 0 disables core dumps. */
  CORE("core", Unit.BYTES),
  /** Virtual address space in bytes ({@code RLIMIT_AS}). */
  AS("as", Unit.BYTES),
  /** Largest file the child may write, in bytes ({@code RLIMIT_FSIZE}). */
  FSIZE("fsize", Unit.BYTES),
  /** CPU time in seconds ({@code RLIMIT_CPU}); past it the child gets SIGXCPU, then SIGKILL. */
  CPU("cpu", Unit.SECONDS);

  enum Unit { COUNT, BYTES, SECONDS }

  private final String key;
  private final Unit unit;

  ResourceLimit(String key, Unit unit) {
    this.key = key;
    this.unit = unit;
  }

  /** The name in config files and in {@code prlimit}'s options: {@code nofile}, {@code as}... */
  public String key() {
    return key;
  }

  /** The limit whose config key is {@code key}. */
  public static Optional<ResourceLimit> ofKey(String key) {
    for (ResourceLimit l : values()) {
      if (l.key.equals(key)) {
        return Optional.of(l);
      }
    }
    return Optional.empty();
  }

  /**
   * Parses a value of this limit: a whole number, or for bytes a number with a {@code K M G T}
   * suffix (powers of 1024, an optional {@code B} or {@code iB} after it), for seconds a duration
   * such as {@code "60s"} or {@code "5m"}.
   *
   * @throws IllegalArgumentException naming the accepted forms
   */
  public long parse(String text) {
    String t = text.trim();
    if (t.matches("[0-9]+")) {
      return parseLong(t, text);
    }
    if (unit == Unit.BYTES) {
      String u = t.toUpperCase(Locale.ROOT);
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]+)\\s*([KMGT])(I?B)?").matcher(u);
      if (m.matches()) {
        long n = parseLong(m.group(1), text);
        int shift = switch (m.group(2)) {
          case "K" -> 10;
          case "M" -> 20;
          case "G" -> 30;
          default -> 40;
        };
        if (n > (Long.MAX_VALUE >> shift)) {
          throw new IllegalArgumentException(key + " value '" + text + "' is too large");
        }
        return n << shift;
      }
      throw new IllegalArgumentException(key + " must be a number of bytes or a size like \"100M\" or \"1G\", got '" + text + "'");
    }
    if (unit == Unit.SECONDS) {
      try {
        return Durations.parse(t).toSeconds();
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(key + " must be a number of seconds or a duration like \"60s\", got '" + text + "'");
      }
    }
    throw new IllegalArgumentException(key + " must be a whole number, got '" + text + "'");
  }

  private long parseLong(String digits, String text) {
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " value '" + text + "' is too large");
    }
  }
}
