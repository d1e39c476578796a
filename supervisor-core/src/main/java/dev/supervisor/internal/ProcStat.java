package dev.supervisor.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The fields of {@code /proc/<pid>/stat} the supervisor uses. CPU times are in clock ticks of
 * {@value #CLOCK_TICKS_PER_SECOND} Hz (USER_HZ, 100 on every mainstream Linux build).
 *
 * @param pid the process
 * @param state the one-letter state ({@code Z} for a zombie)
 * @param ppid its parent
 * @param pgrp its process group
 * @param utimeTicks user CPU ticks
 * @param stimeTicks system CPU ticks
 * @param startTimeTicks start time in ticks since boot (the process start signature)
 */
public record ProcStat(long pid, char state, long ppid, long pgrp, long utimeTicks, long stimeTicks, long startTimeTicks) {
  public static final int CLOCK_TICKS_PER_SECOND = 100;

  /** Reads and parses {@code /proc/<pid>/stat}; empty if the process is gone or the file unreadable. */
  public static Optional<ProcStat> read(long pid) {
    String text;
    try {
      text = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "stat")), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    return parse(pid, text);
  }

  static Optional<ProcStat> parse(long pid, String text) {
    // The command name (field 2) is in parentheses and may itself contain spaces and ')'.
    int close = text.lastIndexOf(')');
    if (close < 0 || close + 2 >= text.length()) {
      return Optional.empty();
    }
    String[] f = text.substring(close + 2).trim().split(" ");
    // f[0] = field 3 (state), f[1] = 4 (ppid), f[2] = 5 (pgrp), f[11] = 14 (utime), f[12] = 15 (stime), f[19] = 22 (starttime)
    if (f.length < 20) {
      return Optional.empty();
    }
    try {
      return Optional.of(new ProcStat(pid, f[0].charAt(0), Long.parseLong(f[1]), Long.parseLong(f[2]),
          Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[19])));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** User + system CPU time. */
  public Duration cpuTime() {
    return Duration.ofMillis((utimeTicks + stimeTicks) * 1000 / CLOCK_TICKS_PER_SECOND);
  }

  /** Resident set size from {@code VmRSS} in {@code /proc/<pid>/status}; empty when gone or a kernel thread. */
  public static OptionalLong rssBytes(long pid) {
    return statusKb(pid, "VmRSS:");
  }

  /** The peak resident set size ({@code VmHWM}) of the process so far; empty when gone. */
  public static OptionalLong peakRssBytes(long pid) {
    return statusKb(pid, "VmHWM:");
  }

  private static OptionalLong statusKb(long pid, String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.UTF_8)) {
        if (line.startsWith(field)) {
          String kb = line.substring(field.length()).trim().split("\\s+")[0];
          return OptionalLong.of(Long.parseLong(kb) * 1024);
        }
      }
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
    return OptionalLong.empty();
  }
}
