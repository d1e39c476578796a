package dev.supervisor.internal;

import dev.supervisor.Permissions;
import dev.supervisor.Privileges;
import dev.supervisor.ResourceLimit;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What this supervisor process can enforce of a child's {@link Privileges}, checked before anything
 * runs: {@link #gaps} lists each declared control that cannot be enforced here, with the field it
 * came from and what is missing; {@link #invalid} names controls that are wrong anywhere (an
 * unknown user). Users and groups are resolved through {@code getent} (NSS), once each.
 */
public final class PrivilegeSupport {
  /** A declared control that cannot be enforced: its config field and the reason. */
  public record Gap(String field, String reason) {
    @Override
    public String toString() {
      return field + ": " + reason;
    }
  }

  /** A user or group entry: its id and, for a user, the primary gid. */
  public record Entry(String name, long id, long primaryGid) {}

  private static final Map<String, Optional<Entry>> USERS = new ConcurrentHashMap<>();
  private static final Map<String, Optional<Entry>> GROUPS = new ConcurrentHashMap<>();

  private PrivilegeSupport() {}

  /**
   * The errors no host could run: an unknown user or group, a permission path that is not absolute.
   * Empty when all is well.
   */
  public static List<Gap> invalid(Privileges p) {
    List<Gap> out = new ArrayList<>();
    p.user().ifPresent(u -> {
      if (user(u).isEmpty() && !u.matches("[0-9]+")) {
        out.add(new Gap("user", "no such user '" + u + "' (getent passwd " + u + " finds nothing); create it or fix the name"));
      } else if (user(u).isEmpty() && p.group().isEmpty()) {
        out.add(new Gap("group", "uid " + u + " has no passwd entry, so it has no primary group: give \"group\" too"));
      }
    });
    p.group().ifPresent(g -> {
      if (group(g).isEmpty() && !g.matches("[0-9]+")) {
        out.add(new Gap("group", "no such group '" + g + "' (getent group " + g + " finds nothing); create it or fix the name"));
      }
    });
    return out;
  }

  /** Each declared control this process cannot enforce, with what is missing. */
  public static List<Gap> gaps(Privileges p) {
    List<Gap> out = new ArrayList<>();
    Capabilities self = Capabilities.self();
    boolean setpriv = ProcessGroups.tool("setpriv").isPresent();
    if (p.user().isPresent() || p.group().isPresent()) {
      String field = p.user().isPresent() ? "user" : "group";
      if (!setpriv) {
        out.add(new Gap(field, "setpriv (util-linux) is not installed; install util-linux"));
      } else if (needsSwitch(p) && !(self.has(Capabilities.SETUID) && self.has(Capabilities.SETGID))) {
        out.add(new Gap(field, "switching user or group needs root (CAP_SETUID and CAP_SETGID); the supervisor runs as uid "
            + self.uid() + ": run it as root or leave \"" + field + "\" out"));
      }
    }
    if (p.noNewPrivileges() && !setpriv) {
      out.add(new Gap("noNewPrivileges", "setpriv (util-linux) is not installed; install util-linux"));
    }
    if (p.capabilities().isPresent()) {
      if (!setpriv) {
        out.add(new Gap("capabilities", "setpriv (util-linux) is not installed; install util-linux"));
      } else {
        for (String c : p.capabilities().get()) {
          int n = Capabilities.number(c);
          if (n < 0) {
            out.add(new Gap("capabilities", "unknown capability '" + c + "' (known: " + String.join(", ", Capabilities.NAMES) + ")"));
          } else if ((self.permitted() & (1L << n)) == 0 || (self.bounding() & (1L << n)) == 0) {
            out.add(new Gap("capabilities", "the supervisor itself lacks CAP_" + c + ", so the child cannot keep it"));
          }
        }
        if (!self.has(Capabilities.SETPCAP)) {
          out.add(new Gap("capabilities", "dropping capabilities from the bounding set needs CAP_SETPCAP; run the supervisor as root"));
        }
      }
    }
    if (!p.limits().isEmpty()) {
      if (ProcessGroups.tool("prlimit").isEmpty()) {
        out.add(new Gap("limits", "prlimit (util-linux) is not installed; install util-linux"));
      } else if (!self.has(Capabilities.SYS_RESOURCE)) {
        for (Map.Entry<ResourceLimit, Long> e : p.limits().entrySet()) {
          long hard = hardLimit(e.getKey());
          if (hard >= 0 && e.getValue() > hard) {
            out.add(new Gap("limits." + e.getKey().key(), "raising it to " + e.getValue() + " above the supervisor's hard limit "
                + hard + " needs CAP_SYS_RESOURCE; lower it or run the supervisor as root"));
          }
        }
      }
    }
    if (p.umask().isPresent() && ProcessGroups.tool("sh").isEmpty()) {
      out.add(new Gap("umask", "/bin/sh is missing, and it sets the umask before the command runs"));
    }
    if (p.permissions().isPresent()) {
      Permissions perm = p.permissions().get();
      Optional<String> landlock = Landlock.unavailable();
      if (perm.restrictsFilesystem() && landlock.isPresent()) {
        out.add(new Gap("permissions", landlock.get()));
      }
      if (!perm.network() && landlock.isPresent() && !canUnshareNet()) {
        out.add(new Gap("permissions.net", landlock.get() + ", and a network namespace needs root"));
      } else if (!perm.network() && Landlock.abi() < 4 && !canUnshareNet()) {
        out.add(new Gap("permissions.net", "denying TCP needs Landlock ABI 4 (Linux 6.7+; this kernel has ABI " + Landlock.abi()
            + ") or root for a network namespace"));
      }
    }
    return out;
  }

  /** Whether the supervisor may give a child an empty network namespace ({@code unshare --net}). */
  public static boolean canUnshareNet() {
    return Capabilities.self().has(Capabilities.SYS_ADMIN) && ProcessGroups.tool("unshare").isPresent();
  }

  private static boolean needsSwitch(Privileges p) {
    Capabilities self = Capabilities.self();
    boolean uidChange = p.user().map(u -> user(u).map(Entry::id).orElse(parse(u)) != self.uid()).orElse(false);
    boolean gidChange = p.group().map(g -> group(g).map(Entry::id).orElse(parse(g)) != self.gid()).orElse(false);
    return uidChange || gidChange || p.user().isPresent() && !self.groups().isEmpty();
  }

  private static long parse(String id) {
    try {
      return Long.parseLong(id);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The user {@code nameOrId}, from {@code getent passwd}. */
  public static Optional<Entry> user(String nameOrId) {
    return USERS.computeIfAbsent(nameOrId, k -> getent("passwd", k).map(f -> new Entry(f[0], Long.parseLong(f[2]), Long.parseLong(f[3]))));
  }

  /** The group {@code nameOrId}, from {@code getent group}. */
  public static Optional<Entry> group(String nameOrId) {
    return GROUPS.computeIfAbsent(nameOrId, k -> getent("group", k).map(f -> new Entry(f[0], Long.parseLong(f[2]), -1)));
  }

  private static Optional<String[]> getent(String db, String key) {
    Optional<String> getent = ProcessGroups.tool("getent");
    if (getent.isEmpty()) {
      return Optional.empty();
    }
    try {
      Process p = new ProcessBuilder(getent.get(), db, key).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0 || out.isEmpty()) {
        p.destroyForcibly();
        return Optional.empty();
      }
      String[] f = out.lines().findFirst().orElse("").split(":", -1);
      return f.length >= 4 && f[2].matches("[0-9]+") ? Optional.of(f) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** The supervisor's own hard limit of {@code limit} ({@code /proc/self/limits}), or -1 for unlimited/unknown. */
  static long hardLimit(ResourceLimit limit) {
    String label = PrivilegeReports.label(limit);
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
        if (line.startsWith(label)) {
          String[] f = line.substring(label.length()).trim().split("\\s+");
          return f.length > 1 && f[1].matches("[0-9]+") ? Long.parseLong(f[1]) : -1;
        }
      }
    } catch (IOException | RuntimeException ignored) {
      // unknown: assume it fits
    }
    return -1;
  }
}
