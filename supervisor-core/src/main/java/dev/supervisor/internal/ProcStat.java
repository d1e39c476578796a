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
 * @param rssPages resident set size in pages (field 24)
 */
public record ProcStat(long pid, char state, long ppid, long pgrp, long utimeTicks, long stimeTicks, long startTimeTicks,
    long rssPages) {
  public static final int CLOCK_TICKS_PER_SECOND = 100;
  /** The page size, found once from this JVM's own stat and status (4096 if that fails). */
  private static final long PAGE_SIZE = pageSize();

  /** Resident memory in bytes from the stat line: no second file to read. */
  public long rssBytes() {
    return rssPages * PAGE_SIZE;
  }

  private static long pageSize() {
    try {
      long pages = read(ProcessHandle.current().pid()).map(ProcStat::rssPages).orElse(0L);
      long bytes = rssBytes(ProcessHandle.current().pid()).orElse(0L);
      if (pages > 0 && bytes > 0) {
        long ratio = Math.round((double) bytes / pages);
        for (long size : new long[] {4096, 16384, 65536}) {
          if (Math.abs(ratio - size) < size / 4) {
            return size;
          }
        }
      }
    } catch (RuntimeException e) {
      // fall through
    }
    return 4096;
  }

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
    // f[0] = field 3 (state), f[1] = 4 (ppid), f[2] = 5 (pgrp), f[11] = 14 (utime), f[12] = 15 (stime), f[19] = 22 (starttime),
    // f[21] = 24 (rss pages)
    if (f.length < 22) {
      return Optional.empty();
    }
    try {
      return Optional.of(new ProcStat(pid, f[0].charAt(0), Long.parseLong(f[1]), Long.parseLong(f[2]),
          Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[19]), Long.parseLong(f[21])));
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
    String field = "VmRSS:";
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
