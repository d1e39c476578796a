package dev.supervisor.examples.bench;

import dev.supervisor.Backoff;
import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.LogConfig;
import dev.supervisor.RestartMode;
import dev.supervisor.RestartPolicy;
import dev.supervisor.Supervisor;
import dev.supervisor.event.ChildStateChanged;
import dev.supervisor.ipc.control.ControlClient;
import dev.supervisor.ipc.control.ControlServer;
import dev.supervisor.ipc.control.Roles;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * {@code bench restart}: kill -9 one child N times (zero backoff) and time until its replacement
 * is alive, seen two ways: the supervisor's RUNNING event, and a new child pid found in /proc.
 * {@code bench scale}: start N {@code sleep} children; time to all RUNNING, the JVM's threads and
 * RSS with them running, and the supervisor's CPU over an idle window. {@code bench family}
 * ({@link FamilyBench}, not part of {@code all}): the memory of agentd's four JVMs, idle.
 */
public final class Bench {
  private Bench() {}

  /** {@code --with-logs}: the restart bench keeps the child's log file and the event log, as a daemon does. */
  private static boolean withLogs;
  /** {@code --privileges user,nnp,caps,limits,umask,landlock,net}: the restart bench's victim runs with these controls. */
  private static dev.supervisor.Privileges privileges = dev.supervisor.Privileges.none();

  public static int run(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("compare")) {
      return CompareBench.run(java.util.Arrays.asList(args).subList(1, args.length));
    }
    String which = "all";
    int kills = 200;
    int children = 500;
    int idleSeconds = 30;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "restart", "scale", "recovery", "storm", "ipc", "ensure", "family", "all" -> which = args[i];
        case "--kills" -> kills = Integer.parseInt(args[++i]);
        case "--children" -> children = Integer.parseInt(args[++i]);
        case "--idle-seconds" -> idleSeconds = Integer.parseInt(args[++i]);
        case "--with-logs" -> withLogs = true;
        case "--privileges" -> privileges = privileges(args[++i]);
        default -> {
          System.err.println("bench: unknown argument '" + args[i] + "'");
          return 2;
        }
      }
    }
    System.out.printf("java %s, %d cpus, %s%n", Runtime.version(), Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"));
    boolean all = which.equals("all");
    if (all || which.equals("restart")) {
      restart(kills);
    }
    if (all || which.equals("scale")) {
      scale(children, idleSeconds);
    }
    if (all || which.equals("recovery")) {
      recovery(5);
    }
    if (all || which.equals("storm")) {
      storm(50, idleSeconds);
    }
    if (all || which.equals("ipc")) {
      IpcBench.ipc(5);
    }
    if (all || which.equals("ensure")) {
      IpcBench.ensure(200);
    }
    if (which.equals("family")) {
      FamilyBench.run(idleSeconds);
    }
    return 0;
  }

  static void restart(int kills) throws Exception {
    Path home = Files.createTempDirectory("supervisor-bench-restart-");
    AtomicLong runningAtNanos = new AtomicLong();
    RestartPolicy zero = RestartPolicy.of(RestartMode.ALWAYS, Backoff.fixed(Duration.ZERO)).restartForever();
    long[] viaEvent = new long[kills];
    long[] viaProc = new long[kills];
    try (Supervisor sup = Supervisor.builder(home).eventLog(withLogs)
        .child(ChildSpec.builder("victim").argv("sleep", "100000").restartPolicy(zero).privileges(privileges)
            .logs(withLogs ? LogConfig.defaults() : LogConfig.discard()).build())
        // the listener runs on the event loop itself: it stamps the moment the replacement is RUNNING
        .listener(e -> {
          if (e instanceof ChildStateChanged c && c.to() == ChildState.RUNNING) {
            runningAtNanos.set(System.nanoTime());
          }
        }, Runnable::run)
        .build()) {
      sup.startAsync().awaitHealthy(Duration.ofSeconds(10));
      for (int i = -10; i < kills; i++) { // 10 warm-up kills
        long old = sup.status().child("victim").orElseThrow().pid().orElseThrow();
        ProcessHandle victim = ProcessHandle.of(old).orElseThrow();
        long t0 = System.nanoTime();
        victim.destroyForcibly();
        long seen;
        while (true) {
          long pid = newChildPid(old);
          if (pid > 0) {
            seen = System.nanoTime();
            break;
          }
        }
        while (runningAtNanos.get() < t0) {
          Thread.onSpinWait();
        }
        if (i >= 0) {
          viaEvent[i] = runningAtNanos.get() - t0;
          viaProc[i] = seen - t0;
        }
        while (sup.status().child("victim").orElseThrow().pid().orElse(old) == old) {
          Thread.onSpinWait();
        }
      }
    }
    System.out.printf("%nrestart: kill -9 -> replacement alive, %d kills, zero backoff%s%n", kills,
        privileges.isEmpty() ? "" : ", " + privileges);
    System.out.printf("  %-36s %8s %8s %8s %8s%n", "", "p50", "p90", "p99", "max");
    row("supervisor RUNNING event (ms)", viaEvent);
    row("new pid visible in /proc (ms)", viaProc);
  }

  /** The controls named in {@code list} (comma-separated), for the restart bench. */
  static dev.supervisor.Privileges privileges(String list) {
    dev.supervisor.Privileges.Builder b = dev.supervisor.Privileges.builder();
    for (String c : list.split(",")) {
      switch (c.trim()) {
        case "none", "" -> { }
        case "user" -> b.user("nobody");
        case "nnp" -> b.noNewPrivileges();
        case "caps" -> b.capabilities();
        case "limits" -> b.limit(dev.supervisor.ResourceLimit.NOFILE, 1024).limit(dev.supervisor.ResourceLimit.CORE, 0);
        case "umask" -> b.umask(0027);
        case "landlock" -> b.permissions(dev.supervisor.Permissions.builder().read(Path.of("/tmp")).build());
        case "net" -> b.permissions(dev.supervisor.Permissions.builder().noNetwork().build());
        default -> throw new IllegalArgumentException("--privileges: unknown control '" + c
            + "' (use user, nnp, caps, limits, umask, landlock, net, comma-separated)");
      }
    }
    return b.build();
  }

  /** A live child of this JVM (a supervised process) other than {@code old}, or -1. */
  private static long newChildPid(long old) {
    return ProcessHandle.current().children()
        .filter(p -> p.pid() != old && p.isAlive() && p.info().command().map(c -> c.endsWith("sleep")).orElse(false))
        .mapToLong(ProcessHandle::pid).findFirst().orElse(-1);
  }

  static void scale(int n, int idleSeconds) throws Exception {
    Path home = Files.createTempDirectory("supervisor-bench-scale-");
    System.out.printf("%nscale: %d children (sleep), default logs%n", n);
    long rss0 = rssBytes();
    int threads0 = ManagementFactory.getThreadMXBean().getThreadCount();
    Supervisor.Builder b = Supervisor.builder(home).eventLog(false);
    for (int i = 0; i < n; i++) {
      b.child(ChildSpec.builder("sleep-" + i).argv("sleep", "100000").build());
    }
    try (Supervisor sup = b.build()) {
      long t0 = System.nanoTime();
      sup.startAsync().awaitHealthy(Duration.ofMinutes(2));
      long startMs = (System.nanoTime() - t0) / 1_000_000;
      System.gc();
      int threads = ManagementFactory.getThreadMXBean().getThreadCount();
      long rss = rssBytes();
      long cpu0 = cpuNanos();
      long w0 = System.nanoTime();
      Thread.sleep(idleSeconds * 1000L); // the idle window itself
      long cpu = cpuNanos() - cpu0;
      long wall = System.nanoTime() - w0;
      Set<Long> alive = sup.status().children().stream().filter(c -> c.state() == ChildState.RUNNING)
          .map(c -> c.pid().orElse(-1)).collect(Collectors.toCollection(HashSet::new));
      System.out.printf("  time to all %d RUNNING        %8d ms%n", n, startMs);
      System.out.printf("  JVM threads                   %8d (%d before start)%n", threads, threads0);
      System.out.printf("  JVM RSS                       %8.1f MiB (%.1f MiB before start)%n", rss / 1048576.0, rss0 / 1048576.0);
      System.out.printf("  idle CPU over %ds             %8.3f %% of one core%n", idleSeconds, 100.0 * cpu / wall);
      System.out.printf("  children alive after idle     %8d%n", alive.size());
      long s0 = System.nanoTime();
      sup.stopAsync().awaitStopped(Duration.ofMinutes(2));
      System.out.printf("  time to stop all              %8d ms%n", (System.nanoTime() - s0) / 1_000_000);
    }
  }

  /**
   * SIGKILL a supervisor JVM running 3 children, start a new one on the same home, and time until
   * its saved state shows all 3 RUNNING under the new pid (JVM start, lock, recovery, spawns).
   */
  static void recovery(int rounds) throws Exception {
    Path home = Files.createTempDirectory("supervisor-bench-recovery-");
    long[] nanos = new long[rounds];
    Process sup = launchSupervisor(home, 3);
    try {
      awaitRunning(home, sup.pid(), 3);
      for (int i = 0; i < rounds; i++) {
        sup.destroyForcibly();
        long t0 = System.nanoTime();
        sup.waitFor();
        sup = launchSupervisor(home, 3);
        awaitRunning(home, sup.pid(), 3);
        nanos[i] = System.nanoTime() - t0;
      }
    } finally {
      sup.destroy();
      sup.waitFor();
    }
    System.out.printf("%nrecovery: supervisor JVM SIGKILLed with 3 children -> new JVM has all 3 RUNNING, %d rounds%n", rounds);
    System.out.printf("  %-36s %8s %8s %8s %8s%n", "", "p50", "p90", "p99", "max");
    row("kill -> all children running (ms)", nanos);
  }

  private static Process launchSupervisor(Path home, int children) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-cp", dev.supervisor.examples.launcher.Trio.absoluteClassPath(), "-XX:TieredStopAtLevel=1",
        "dev.supervisor.examples.bench.BenchSupervisor", home.toString(), Integer.toString(children))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
  }

  private static void awaitRunning(Path home, long supervisorPid, int n) throws Exception {
    dev.supervisor.persist.StateStore store = dev.supervisor.persist.StateStore.atomicJsonFile(home.resolve("state.json"));
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      java.util.Optional<dev.supervisor.persist.PersistedState> s;
      try {
        s = store.load();
      } catch (IOException e) {
        s = java.util.Optional.empty();
      }
      if (s.isPresent() && s.get().supervisor().map(x -> x.pid()).orElse(-1L) == supervisorPid
          && s.get().children().size() == n
          && s.get().children().stream().allMatch(c -> c.state().equals("RUNNING") && c.process().map(p -> p.isAlive()).orElse(false))) {
        return;
      }
      java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
    }
    throw new IllegalStateException("supervisor " + supervisorPid + " did not get " + n + " children running within 60s");
  }

  /**
   * 50 children crashing at once in a loop with zero backoff: restarts and state writes per
   * second, CPU, and the latency of {@code status} over the control socket every 10 ms
   * throughout (target: every answer within 100 ms).
   */
  static void storm(int n, int seconds) throws Exception {
    Path home = Files.createTempDirectory("supervisor-bench-storm-");
    RestartPolicy zero = RestartPolicy.of(RestartMode.ALWAYS, Backoff.fixed(Duration.ZERO)).restartForever();
    // the breaker off: the bench measures the engine under a storm it lets rage
    Supervisor.Builder b = Supervisor.builder(home).eventLog(false).stormBreaker(dev.supervisor.StormBreaker.off());
    for (int i = 0; i < n; i++) {
      b.child(ChildSpec.builder("crash-" + i).argv("sh", "-c", "exit 1").restartPolicy(zero).build());
    }
    try (Supervisor sup = b.build();
        ControlServer server = ControlServer.serve(sup, ControlServer.socketOf(home), Roles.ownerOnly())) {
      sup.startAsync();
      Thread.sleep(1000); // warm-up: let the storm reach its steady state
      ControlClient client = ControlClient.of(server.socket(), Duration.ofSeconds(5));
      long r0 = sup.status().children().stream().mapToLong(c -> c.restarts()).sum();
      long w0 = sup.stateWrites();
      long c0 = cpuNanos();
      long t0 = System.nanoTime();
      long end = t0 + seconds * 1_000_000_000L;
      long[] status = new long[seconds * 100];
      int calls = 0;
      while (System.nanoTime() < end && calls < status.length) { // the measured window
        long s0 = System.nanoTime();
        client.status();
        status[calls++] = System.nanoTime() - s0;
        java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
      }
      long wall = System.nanoTime() - t0;
      long restarts = sup.status().children().stream().mapToLong(c -> c.restarts()).sum() - r0;
      long writes = sup.stateWrites() - w0;
      long cpu = cpuNanos() - c0;
      System.out.printf("%nstorm: %d children exiting at once in a loop, zero backoff, %ds%n", n, seconds);
      System.out.printf("  restarts per second            %8.0f%n", restarts / (wall / 1e9));
      System.out.printf("  state writes per second        %8.1f%n", writes / (wall / 1e9));
      System.out.printf("  supervisor CPU                 %8.1f %% of one core (includes the status client)%n", 100.0 * cpu / wall);
      long[] s = Arrays.copyOf(status, calls);
      System.out.printf("  %-36s %8s %8s %8s %8s%n", "status over the control socket (ms)", "p50", "p90", "p99", "max");
      row(calls + " calls, target max 100 ms", s);
    }
  }

  private static void row(String name, long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    System.out.printf("  %-36s %8.2f %8.2f %8.2f %8.2f%n", name, pct(s, 50), pct(s, 90), pct(s, 99), s[s.length - 1] / 1e6);
  }

  private static double pct(long[] sorted, int p) {
    int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, idx)] / 1e6;
  }

  private static long rssBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
      }
    }
    return -1;
  }

  /** User + system CPU of this JVM from /proc/self/stat (10 ms ticks). */
  private static long cpuNanos() throws IOException {
    String stat = Files.readString(Path.of("/proc/self/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
  }
}
