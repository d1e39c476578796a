package dev.supervisor.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A process's credentials as {@code /proc/PID/status} shows them: uid, gid, groups, the
 * effective and permitted capability sets and {@code NoNewPrivs}. Immutable.
 */
public record Capabilities(long uid, long gid, List<Long> groups, long effective, long permitted, long bounding,
    boolean noNewPrivs) {
  public static final int SETGID = 6, SETUID = 7, SETPCAP = 8, SYS_ADMIN = 21, SYS_RESOURCE = 24;

  /** Capability numbers by name (without {@code CAP_}), as in linux/capability.h. */
  public static final List<String> NAMES = List.of("CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID",
      "KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN",
      "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
      "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE",
      "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
      "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE");

  private static final Capabilities SELF = read(Path.of("/proc/self/status")).orElse(
      new Capabilities(-1, -1, List.of(), 0, 0, 0, false));

  /** This process, read once. */
  public static Capabilities self() {
    return SELF;
  }

  /** Process {@code pid}, read now; empty when it is gone or unreadable. */
  public static Optional<Capabilities> of(long pid) {
    return read(Path.of("/proc", Long.toString(pid), "status"));
  }

  /** The number of capability {@code name} (without {@code CAP_}), or -1. */
  public static int number(String name) {
    return NAMES.indexOf(name.toUpperCase(Locale.ROOT));
  }

  public boolean has(int cap) {
    return (effective & (1L << cap)) != 0;
  }

  public boolean isRoot() {
    return uid == 0;
  }

  /** The effective set as names ({@code [NET_BIND_SERVICE]}); numbers past the table as {@code CAP_N}. */
  public List<String> effectiveNames() {
    java.util.ArrayList<String> out = new java.util.ArrayList<>();
    for (int i = 0; i < 64; i++) {
      if ((effective & (1L << i)) != 0) {
        out.add(i < NAMES.size() ? NAMES.get(i) : "CAP_" + i);
      }
    }
    return out;
  }

  private static Optional<Capabilities> read(Path status) {
    try {
      Map<String, String> f = new java.util.HashMap<>();
      for (String line : Files.readAllLines(status)) {
        int c = line.indexOf(':');
        if (c > 0) {
          f.put(line.substring(0, c), line.substring(c + 1).trim());
        }
      }
      String[] uid = f.getOrDefault("Uid", "-1").split("\\s+");
      String[] gid = f.getOrDefault("Gid", "-1").split("\\s+");
      List<Long> groups = f.getOrDefault("Groups", "").isBlank() ? List.of()
          : java.util.Arrays.stream(f.get("Groups").split("\\s+")).map(Long::parseLong).toList();
      return Optional.of(new Capabilities(Long.parseLong(uid[1]), Long.parseLong(gid[1]), groups,
          hex(f.get("CapEff")), hex(f.get("CapPrm")), hex(f.get("CapBnd")), "1".equals(f.get("NoNewPrivs"))));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static long hex(String v) {
    return v == null ? 0 : Long.parseUnsignedLong(v, 16);
  }
}
