package dev.supervisor.examples.bench;

import dev.supervisor.examples.launcher.Agentd;
import dev.supervisor.examples.launcher.Trio;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench family}: the memory of agentd as a user runs it: {@code daemon start} in a fresh
 * home, then, after an idle window, each of the four JVMs (the supervisor and its validator,
 * executor and scheduler) by {@code /proc/PID/smaps_rollup}: RSS, PSS (shared pages divided
 * among the processes that map them, so the JDK's {@code libjvm.so} and class-data archive,
 * mapped by all four, count once in the sum) and private anonymous memory (heap, metaspace,
 * code, stacks, malloc); then {@code daemon stop}. The family's figure is the PSS sum: what the
 * machine actually gives the four.
 */
final class FamilyBench {
  private FamilyBench() {}

  /** One process's memory, in KiB. */
  record Memory(String role, long pid, long rss, long pss, long anon) {}

  static void run(int idleSeconds) throws Exception {
    // as root the children run as nobody, who must pass through the directories above the home
    Path dir = Files.createTempDirectory("agentd-bench-family-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    Path home = dir.resolve("home");
    System.out.printf("%nfamily: agentd daemon start, %d s idle, then each JVM from /proc/PID/smaps_rollup%n", idleSeconds);
    if (agentd(home, "daemon", "start") != 0) {
      throw new IllegalStateException("agentd daemon start failed: see " + home.resolve("logs/daemon.log"));
    }
    try {
      Thread.sleep(idleSeconds * 1000L); // the idle window itself
      List<Memory> all = measure(home);
      System.out.printf("  %-10s %8s %10s %10s %10s%n", "process", "pid", "RSS MiB", "PSS MiB", "anon MiB");
      long rss = 0, pss = 0, anon = 0;
      for (Memory m : all) {
        System.out.printf("  %-10s %8d %10.1f %10.1f %10.1f%n", m.role(), m.pid(), m.rss() / 1024.0, m.pss() / 1024.0,
            m.anon() / 1024.0);
        rss += m.rss();
        pss += m.pss();
        anon += m.anon();
      }
      System.out.printf("  %-10s %8s %10.1f %10.1f %10.1f%n", "all " + all.size(), "", rss / 1024.0, pss / 1024.0, anon / 1024.0);
    } finally {
      agentd(home, "daemon", "stop");
    }
  }

  /** The supervisor (the pid lock's owner) and each of its children, by the main class in its command line. */
  static List<Memory> measure(Path home) throws IOException {
    long sup = Long.parseLong(Files.readAllLines(home.resolve("supervisor.pid")).get(0).trim());
    Map<Long, String> roles = new LinkedHashMap<>();
    roles.put(sup, "supervisor");
    for (String child : children(sup)) {
      long pid = Long.parseLong(child);
      String cmd;
      try {
        cmd = Files.readString(Path.of("/proc", child, "cmdline")).replace('\0', ' ');
      } catch (IOException gone) { // it exited meanwhile (a restart): the table counts the JVMs it shows
        continue;
      }
      for (String n : Trio.NAMES) {
        if (cmd.toLowerCase(java.util.Locale.ROOT).contains("." + n + "." )) {
          roles.put(pid, n);
        }
      }
    }
    List<Memory> out = new ArrayList<>();
    for (Map.Entry<Long, String> e : roles.entrySet()) {
      Map<String, Long> m = new LinkedHashMap<>();
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(e.getKey()), "smaps_rollup"))) {
        String[] f = line.trim().split("\\s+");
        if (f.length == 3 && f[2].equals("kB")) {
          m.put(f[0], Long.parseLong(f[1]));
        }
      }
      out.add(new Memory(e.getValue(), e.getKey(), m.getOrDefault("Rss:", 0L), m.getOrDefault("Pss:", 0L),
          m.getOrDefault("Anonymous:", 0L)));
    }
    return out;
  }

  private static List<String> children(long pid) throws IOException {
    List<String> out = new ArrayList<>();
    try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        String kids = Files.readString(t.resolve("children")).trim();
        if (!kids.isEmpty()) {
          out.addAll(List.of(kids.split("\\s+")));
        }
      }
    }
    return out;
  }

  private static int agentd(Path home, String... args) throws Exception {
    List<String> cmd = Tool.Agentd.onNewest(Trio.javaCommand(Agentd.class, Trio.CLI_JVM_FLAGS.toArray(String[]::new)));
    cmd.addAll(List.of("--home", home.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("agentd " + String.join(" ", args) + " did not finish within 180 s");
    }
    return p.exitValue();
  }
}
