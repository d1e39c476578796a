package dev.supervisor.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the cgroup hierarchies are, read from {@code /proc/self/mountinfo} and {@code
 * /proc/self/cgroup}, and which of them could hold the children's cgroups (its mount, this
 * process's own cgroup in it, and how it kills): the reading half of {@link Cgroups}' detection.
 */
final class CgroupMounts {
  private CgroupMounts() {}

  /** One cgroup mount: where, its root within the hierarchy, {@code cgroup2} or {@code cgroup}, its options. */
  record Mount(Path point, String root, String fstype, List<String> superOptions) {}

  /** A hierarchy that could hold the children's cgroups. */
  record Candidate(Cgroups.Kind kind, Path mount, Path own, boolean favorDynMods) {}

  /** The cgroup mounts of {@code /proc/self/mountinfo}. */
  static List<Mount> mounts(List<String> mountinfo) {
    List<Mount> out = new ArrayList<>();
    for (String line : mountinfo) {
      int sep = line.indexOf(" - ");
      if (sep < 0) {
        continue;
      }
      String[] left = line.substring(0, sep).split(" ");
      String[] right = line.substring(sep + 3).split(" ");
      if (left.length < 5 || right.length < 3 || !(right[0].equals("cgroup2") || right[0].equals("cgroup"))) {
        continue;
      }
      out.add(new Mount(Path.of(unescape(left[4])), unescape(left[3]), right[0], List.of(right[2].split(","))));
    }
    return out;
  }

  /** {@code "0::/a/b"} as {@code "" -> "/a/b"}, {@code "6:freezer:/x"} as {@code "freezer" -> "/x"}. */
  static Map<String, String> ownCgroups(List<String> lines) {
    Map<String, String> out = new HashMap<>();
    for (String line : lines) {
      String[] f = line.split(":", 3);
      if (f.length < 3) {
        continue;
      }
      if (f[0].equals("0") && f[1].isEmpty()) {
        out.put("", f[2]);
      } else {
        for (String c : f[1].split(",")) {
          out.put(c, f[2]);
        }
      }
    }
    return out;
  }

  static Optional<Candidate> candidate(List<Mount> mounts, Map<String, String> own, String fstype, String controller,
      List<String> why) {
    String path = own.get(controller);
    if (path == null) {
      return Optional.empty();
    }
    for (Mount m : mounts) {
      if (!m.fstype.equals(fstype) || (!controller.isEmpty() && !m.superOptions.contains(controller))) {
        continue;
      }
      if (!(path.equals(m.root) || m.root.equals("/") || path.startsWith(m.root + "/"))) {
        why.add(fstype + (controller.isEmpty() ? "" : " " + controller) + ": own cgroup " + path + " is outside the mount of " + m.root);
        continue;
      }
      String rel = m.root.equals("/") ? path : path.substring(m.root.length());
      Path dir = m.point.resolve(rel.replaceFirst("^/+", "")).normalize();
      if (!dir.startsWith(m.point) || !Files.isRegularFile(dir.resolve("cgroup.procs"))) {
        why.add(fstype + (controller.isEmpty() ? "" : " " + controller) + ": own cgroup directory " + dir + " not found");
        continue;
      }
      Cgroups.Kind kind;
      if (fstype.equals("cgroup2")) {
        // a guess for the order of preference (the root cgroup has neither file): the probe looks in a child
        kind = Files.exists(dir.resolve("cgroup.kill")) || kernelAtLeast(5, 14) ? Cgroups.Kind.V2_KILL
            : Files.exists(dir.resolve("cgroup.freeze")) || kernelAtLeast(5, 2) ? Cgroups.Kind.V2_FREEZE : Cgroups.Kind.V2_PLAIN;
      } else {
        kind = controller.equals("freezer") ? Cgroups.Kind.V1_FREEZER : Cgroups.Kind.V1_PIDS;
      }
      return Optional.of(new Candidate(kind, m.point, dir, m.superOptions.contains("favordynmods")));
    }
    return Optional.empty();
  }

  private static boolean kernelAtLeast(int major, int minor) {
    try {
      String[] v = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim().split("[.-]");
      int ma = Integer.parseInt(v[0]);
      int mi = Integer.parseInt(v[1]);
      return ma > major || (ma == major && mi >= minor);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** mountinfo escapes space, tab, newline and backslash as octal. */
  private static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
        sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
