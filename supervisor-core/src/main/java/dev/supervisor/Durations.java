package dev.supervisor;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and prints the duration strings of the config format: {@code 250ms}, {@code 1s}, {@code 1.5s}, {@code 5m}, {@code 2h}, {@code 1d}. */
public final class Durations {
  private static final Pattern FORMAT = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");

  private Durations() {}

  /**
   * {@code d} itself if it is positive.
   *
   * @throws IllegalArgumentException "{@code what} must be positive, got ..." otherwise
   * @throws NullPointerException naming {@code what} if it is null
   */
  public static Duration requirePositive(Duration d, String what) {
    if (java.util.Objects.requireNonNull(d, what).isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + d);
    }
    return d;
  }

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException naming the text and the accepted form, if it does not parse
   */
  public static Duration parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("missing duration (use e.g. 250ms, 1s, 5m, 2h)");
    }
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = FORMAT.matcher(t);
    if (!m.matches()) {
      throw new IllegalArgumentException("bad duration '" + text + "' (use e.g. 250ms, 1s, 1.5s, 5m, 2h, 1d)");
    }
    long unitMillis;
    switch (m.group(2)) {
      case "ms": unitMillis = 1; break;
      case "s": unitMillis = 1_000; break;
      case "m": unitMillis = 60_000; break;
      case "h": unitMillis = 3_600_000; break;
      default: unitMillis = 86_400_000; break;
    }
    BigDecimal millis = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unitMillis));
    if (millis.compareTo(BigDecimal.valueOf(Long.MAX_VALUE / 1_000_000)) > 0) {
      throw new IllegalArgumentException("duration '" + text + "' is too large");
    }
    return Duration.ofNanos(millis.multiply(BigDecimal.valueOf(1_000_000)).longValue());
  }

  /**
   * An exact short form that {@link #parse} reads back to the same duration: {@code 30s}, {@code
   * 60s}, {@code 250ms}, {@code 5m}, {@code 1500ms}; a part below a millisecond as a decimal
   * ({@code 0.5ms}, {@code 1.25ms}), since {@code parse} knows no smaller unit.
   */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    if (d.getNano() % 1_000_000 != 0) {
      return new BigDecimal(java.math.BigInteger.valueOf(d.getSeconds()).multiply(java.math.BigInteger.valueOf(1_000_000_000))
          .add(java.math.BigInteger.valueOf(d.getNano())), 6).stripTrailingZeros().toPlainString() + "ms";
    }
    long ms = d.toMillis();
    // 60s stays 60s and 60m stays 60m: a unit is used from two of it up.
    if (ms % 86_400_000 == 0 && ms > 86_400_000) return ms / 86_400_000 + "d";
    if (ms % 3_600_000 == 0 && ms > 3_600_000) return ms / 3_600_000 + "h";
    if (ms % 60_000 == 0 && ms > 60_000) return ms / 60_000 + "m";
    if (ms % 1_000 == 0) return ms / 1_000 + "s";
    return ms + "ms";
  }
}
