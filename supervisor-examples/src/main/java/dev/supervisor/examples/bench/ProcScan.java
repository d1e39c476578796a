package dev.supervisor.examples.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Finds processes by their exact command line in {@code /proc}, never by asking a supervisor. */
final class ProcScan {
  private ProcScan() {}

  /** The command line of {@code pid} with spaces for NULs and argv[0] reduced to its file name, or null if gone or a zombie. */
  static String cmdline(long pid) {
    try {
      byte[] b = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
      if (b.length == 0) {
        return null; // zombie or kernel thread
      }
      String c = new String(b, 0, b[b.length - 1] == 0 ? b.length - 1 : b.length, StandardCharsets.UTF_8).replace('\0', ' ');
      // argv[0] as a basename: tools differ in whether they resolve "sleep" to /usr/bin/sleep
      int sp = c.indexOf(' ');
      String argv0 = sp < 0 ? c : c.substring(0, sp);
      int slash = argv0.lastIndexOf('/');
      return slash < 0 ? c : c.substring(slash + 1);
    } catch (IOException e) {
      return null;
    }
  }

  /** Every live pid whose command line is exactly {@code cmd}. */
  static List<Long> find(String cmd) {
    List<Long> out = new ArrayList<>();
    for (long pid : pids()) {
      if (cmd.equals(cmdline(pid))) {
        out.add(pid);
      }
    }
    return out;
  }

  /** How many live processes have a command line starting with {@code prefix}. */
  static int count(String prefix) {
    int n = 0;
    for (long pid : pids()) {
      String c = cmdline(pid);
      if (c != null && c.startsWith(prefix)) {
        n++;
      }
    }
    return n;
  }

  /** A pid other than {@code old} running exactly {@code cmd}: looks at the next pids first (new pids grow), then everywhere. */
  static long successor(long old, String cmd, int round) {
    for (long p = old + 1; p < old + 400; p++) {
      if (cmd.equals(cmdline(p))) {
        return p;
      }
    }
    if (round % 20 == 19) {
      for (long p : find(cmd)) {
        if (p != old) {
          return p;
        }
      }
    }
    return -1;
  }

  static List<Long> pids() {
    List<Long> out = new ArrayList<>();
    try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/proc"))) {
      for (Path p : d) {
        String n = p.getFileName().toString();
        if (!n.isEmpty() && Character.isDigit(n.charAt(0))) {
          out.add(Long.parseLong(n));
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc", e);
    }
    return out;
  }

  /** Resident memory in bytes, 0 if gone. */
  static long rss(long pid) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (l.startsWith("VmRSS:")) {
          return Long.parseLong(l.replaceAll("\\D", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return 0;
    }
    return 0;
  }

  /** utime + stime in clock ticks (1/100 s), 0 if gone. */
  static long cpuTicks(long pid) {
    try {
      String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** Start time in ticks since boot (field 22), -1 if gone. */
  static long startTicks(long pid) {
    try {
      String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return Long.parseLong(s.substring(s.lastIndexOf(')') + 2).split(" ")[19]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Seconds since boot, from /proc/uptime. */
  static double uptimeSeconds() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The pids whose parent is {@code ppid}. */
  static List<Long> childrenOf(long ppid) {
    List<Long> out = new ArrayList<>();
    for (long pid : pids()) {
      try {
        String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        if (Long.parseLong(s.substring(s.lastIndexOf(')') + 2).split(" ")[1]) == ppid) {
          out.add(pid);
        }
      } catch (IOException | RuntimeException e) {
        // gone
      }
    }
    return out;
  }
}
