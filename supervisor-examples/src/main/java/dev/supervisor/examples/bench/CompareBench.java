package dev.supervisor.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench compare}: the same restart, scale and control workloads against agentd,
 * supervisord, runit and PM2, on this machine, in one run, tools alternating; writes
 * {@code BENCHMARKS-compare.md} and {@code restart-latency.svg} into {@code --out}. The tools must
 * be installed ({@code supervisor-examples/bench/compare.sh} does that). Every measurement
 * comes from {@code /proc}, never from a tool's own report.
 */
final class CompareBench {
  /** Children's command lines are {@code sleep 735xxxx}: unlikely to collide with anything else on the machine. */
  private static final String SCALE_PREFIX = "sleep 735";

  private CompareBench() {}

  static int run(List<String> args) throws Exception {
    int kills = 40;
    int children = 500;
    int idle = 30;
    Path out = Path.of("docs");
    Path pm2 = Path.of("/tmp/bench-tools/pm2/node_modules/.bin/pm2");
    List<String> only = null;
    for (int i = 0; i < args.size(); i++) {
      switch (args.get(i)) {
        case "--kills" -> kills = Integer.parseInt(args.get(++i));
        case "--children" -> children = Integer.parseInt(args.get(++i));
        case "--idle-seconds" -> idle = Integer.parseInt(args.get(++i));
        case "--out" -> out = Path.of(args.get(++i));
        case "--pm2" -> pm2 = Path.of(args.get(++i));
        case "--tools" -> only = List.of(args.get(++i).split(","));
        default -> {
          System.err.println("bench compare: unknown argument '" + args.get(i) + "'");
          return 2;
        }
      }
    }
    Path work = Files.createTempDirectory("supervisor-compare-");
    List<Tool> all = List.of(new Tool.Agentd(work.resolve("agentd")), new Tool.Supervisord(work.resolve("supervisord")),
        new Tool.Runit(work.resolve("runit")), new Tool.Pm2(work.resolve("pm2"), pm2));
    List<String> selected = only;
    List<Tool> tools = selected == null ? all : all.stream().filter(t -> selected.contains(t.name())).toList();
    for (Tool t : tools) {
      t.check();
    }
    if (tools.stream().anyMatch(t -> t instanceof Tool.Agentd)) {
      System.out.println("agentd runs on Java " + Tool.Agentd.NEWEST.version() + " (" + Tool.Agentd.NEWEST.java()
          + "), the newest JDK installed here");
    }

    // restart and control at N=1: all four tools up at once, kills alternating between tools
    Map<Tool, List<Long>> restart = new LinkedHashMap<>();
    Map<Tool, long[]> control1 = new LinkedHashMap<>();
    for (int i = 0; i < tools.size(); i++) {
      Tool t = tools.get(i);
      t.start(List.of("sleep " + (7_340_001 + i)));
      restart.put(t, new ArrayList<>());
    }
    try {
      for (int i = 0; i < tools.size(); i++) {
        awaitCount("sleep " + (7_340_001 + i), 1, 60);
      }
      int perTurn = 5;
      for (int done = 0; done < kills; done += perTurn) {
        for (int i = 0; i < tools.size(); i++) {
          for (int k = 0; k < perTurn && done + k < kills; k++) {
            restart.get(tools.get(i)).add(killAndTime("sleep " + (7_340_001 + i)));
          }
        }
      }
      for (int round = 0; round < 2; round++) {
        for (Tool t : tools) {
          control1.merge(t, timeStatus(t, 10), CompareBench::concat);
        }
      }
    } finally {
      for (Tool t : tools) {
        t.stop();
      }
    }

    // scale: one tool at a time, so RSS and CPU are its own
    Map<Tool, double[]> scale = new LinkedHashMap<>();
    Map<Tool, long[]> controlN = new LinkedHashMap<>();
    for (Tool t : tools) {
      awaitCount(SCALE_PREFIX, 0, 60);
      List<String> cmds = new ArrayList<>();
      for (int i = 0; i < children; i++) {
        cmds.add("sleep " + (7_350_000 + i));
      }
      long t0 = System.nanoTime();
      t.start(cmds);
      try {
        awaitCount(SCALE_PREFIX, children, 120);
        double startMs = (System.nanoTime() - t0) / 1e6;
        Thread.sleep(5000); // settle before the idle window
        long c0 = t.supervisorPids().stream().mapToLong(ProcScan::cpuTicks).sum();
        Thread.sleep(idle * 1000L); // the idle window
        List<Long> pids = t.supervisorPids();
        long c1 = pids.stream().mapToLong(ProcScan::cpuTicks).sum();
        long rss = pids.stream().mapToLong(ProcScan::rss).sum();
        long mainRss = ProcScan.rss(pids.get(0));
        scale.put(t, new double[] {startMs, rss / 1048576.0, mainRss / 1048576.0, (c1 - c0) / 100.0, pids.size()});
        controlN.put(t, timeStatus(t, 10));
      } finally {
        t.stop();
      }
    }
    Files.createDirectories(out);
    Report.write(out, tools, restart, control1, scale, controlN, kills, children, idle);
    System.out.println("wrote " + out.resolve("BENCHMARKS-compare.md") + " and " + out.resolve("restart-latency.svg"));
    return 0;
  }

  private static long[] concat(long[] a, long[] b) {
    long[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  /** Kills the process running {@code cmd} (after it lived 1.1 s, for runit's sake) and times its replacement. */
  private static long killAndTime(String cmd) throws Exception {
    List<Long> found = ProcScan.find(cmd);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (found.size() != 1 && System.nanoTime() < deadline) {
      Thread.sleep(10);
      found = ProcScan.find(cmd);
    }
    if (found.size() != 1) {
      throw new IllegalStateException("expected one process '" + cmd + "', found " + found);
    }
    long pid = found.get(0);
    double age = ProcScan.uptimeSeconds() - ProcScan.startTicks(pid) / 100.0;
    if (age < 1.1) {
      Thread.sleep((long) ((1.1 - age) * 1000) + 10);
    }
    ProcessHandle victim = ProcessHandle.of(pid).orElseThrow();
    long t0 = System.nanoTime();
    victim.destroyForcibly();
    for (int round = 0; ; round++) {
      long next = ProcScan.successor(pid, cmd, round);
      if (next > 0) {
        return System.nanoTime() - t0;
      }
      // leave the CPU to the supervisors between scans (2 cores): ~50 us of resolution
      java.util.concurrent.locks.LockSupport.parkNanos(50_000);
      if (System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(30)) {
        throw new IllegalStateException("no replacement for '" + cmd + "' within 30 s");
      }
    }
  }

  private static void awaitCount(String prefix, int n, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (ProcScan.count(prefix) != n) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(ProcScan.count(prefix) + " processes '" + prefix + "...', expected " + n);
      }
      Thread.sleep(5);
    }
  }

  /** Wall time of whole status CLI invocations, in nanoseconds. */
  private static long[] timeStatus(Tool t, int calls) throws Exception {
    long[] out = new long[calls];
    for (int i = 0; i < calls; i++) {
      long s = System.nanoTime();
      Process p = t.command(t.statusCommand()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(t.name() + " status did not answer within 60 s");
      }
      out[i] = System.nanoTime() - s;
    }
    return out;
  }

  static double pct(long[] nanos, int p) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    return s[Math.max(0, (int) Math.ceil(p / 100.0 * s.length) - 1)] / 1e6;
  }

  static String fmt(double v) {
    return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
  }

  static String today() {
    return LocalDate.now().toString();
  }

  static String read(Process p) throws IOException, InterruptedException {
    String s = new String(p.getInputStream().readAllBytes()).trim();
    p.waitFor(30, TimeUnit.SECONDS);
    return s;
  }
}
