package dev.supervisor.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Process groups on Linux: each child is spawned through {@code setsid} (which does not fork when
 * run by ProcessBuilder, so pid == pgid == sid), and a group is signalled with {@code kill(2)}
 * through the FFM API on JDK 22+ ({@link NativeSignals}), else with {@code kill -s SIG -- -PGID},
 * the only way the JDK 17 API offers (3-7 ms a call; see PLATFORM.md). Both tools are located
 * once; a missing one is logged once at WARN with its consequence.
 */
public final class ProcessGroups {
  private static final Logger log = LoggerFactory.getLogger(ProcessGroups.class);
  private static final Optional<String> SETSID = find("setsid");
  private static final Optional<String> KILL = find("kill");
  private static final Optional<String> SETPRIV = find("setpriv");
  private static final AtomicBoolean warnedSetpriv = new AtomicBoolean();
  private static final AtomicBoolean warnedSetsid = new AtomicBoolean();
  private static final AtomicBoolean warnedKill = new AtomicBoolean();

  private ProcessGroups() {}

  private static final java.util.Map<String, Optional<String>> TOOLS = new java.util.concurrent.ConcurrentHashMap<>();

  /** The absolute path of a system tool ({@code setpriv}, {@code prlimit}, {@code sh}...) in /usr/bin, /bin, /usr/sbin or /sbin. */
  public static Optional<String> tool(String name) {
    return TOOLS.computeIfAbsent(name, ProcessGroups::find);
  }

  private static Optional<String> find(String tool) {
    for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
      Path p = Path.of(dir, tool);
      if (Files.isExecutable(p)) {
        return Optional.of(p.toString());
      }
    }
    return Optional.empty();
  }

  /** The command prefix that makes the spawned process lead a new session and process group. */
  public static List<String> groupLeaderPrefix() {
    if (SETSID.isPresent()) {
      return List.of(SETSID.get());
    }
    if (warnedSetsid.compareAndSet(false, true)) {
      log.warn("setsid (util-linux) not found in /usr/bin or /bin: children share the supervisor's process group, "
          + "so stopping a child signals only its own pid and its grandchildren can outlive it; install util-linux");
    }
    return List.of();
  }

  /**
   * The command prefix that makes the child get SIGKILL when the thread that spawned it (the
   * supervisor's event loop) ends, as when the supervisor is SIGKILLed: {@code setpriv --pdeathsig
   * KILL --}. Empty, with one WARN, where setpriv is missing.
   */
  public static List<String> parentDeathPrefix() {
    if (SETPRIV.isPresent()) {
      return List.of(SETPRIV.get(), "--pdeathsig", "KILL", "--");
    }
    if (warnedSetpriv.compareAndSet(false, true)) {
      log.warn("setpriv (util-linux) not found: children will not die with a SIGKILLed supervisor; "
          + "they are found and stopped by recovery on its next start instead");
    }
    return List.of();
  }

  /** Whether children lead their own process group (setsid was found, or posix_spawn makes them) and a group can be signalled. */
  public static boolean groupsSupported() {
    return leadersMade() && (KILL.isPresent() || NativeSignals.active());
  }

  /** Whether spawned children lead a group of their own: by {@code posix_spawn}'s SETSID, or the setsid command. */
  private static boolean leadersMade() {
    return SETSID.isPresent() || NativeSpawns.active();
  }

  /**
   * Sends {@code signal} to the process group {@code pgid} without waiting for the kill command;
   * falls back to the leader's pid alone (with a WARN once) when no kill binary exists.
   *
   * @param leader the leader's handle, signalled directly when the group cannot be
   */
  public static void signalGroup(long pgid, String signal, ProcessHandle leader) {
    if (NativeSignals.active() && leadersMade()) {
      signalGroupNatively(pgid, signal, leader);
      return;
    }
    if (KILL.isEmpty() || SETSID.isEmpty()) {
      if (warnedKill.compareAndSet(false, true)) {
        log.warn("kill or setsid binary not found: signals go to each child's own pid only; grandchildren can outlive their child");
      }
      signalLeader(signal, leader);
      return;
    }
    try {
      startKill(pgid, signal).onExit().thenAccept(p -> {
        if (p.exitValue() != 0 && leader != null && leader.isAlive()) {
          // The group may not exist yet (a stop in the microseconds before setsid ran): signal the leader.
          signalLeader(signal, leader);
        }
      });
    } catch (IOException e) {
      log.error("cannot run {} to signal process group {}: {}; signalling pid {} only", KILL.get(), pgid, e.getMessage(), pgid);
      signalLeader(signal, leader);
    }
  }

  /**
   * {@code kill(-pgid)}; when the group does not exist yet (a stop in the microseconds before
   * setsid ran) the leader is signalled instead.
   */
  private static void signalGroupNatively(long pgid, String signal, ProcessHandle leader) {
    int r = NativeSignals.kill(-pgid, signal);
    if (r == 0) {
      return;
    }
    if (r != -NativeSignals.ESRCH) {
      log.warn("kill(-{}, SIG{}) failed: errno {}; signalling the leader only", pgid, signal, -r);
    }
    if (leader != null && leader.isAlive()) {
      signalLeader(signal, leader);
    }
  }

  /** Synchronous variant for shutdown paths: waits up to 2 s for the kill command (a system call with FFM). */
  public static void signalGroupAndWait(long pgid, String signal, ProcessHandle leader) {
    if (NativeSignals.active() && leadersMade()) {
      signalGroupNatively(pgid, signal, leader);
      return;
    }
    if (KILL.isEmpty() || SETSID.isEmpty()) {
      signalGroup(pgid, signal, leader);
      return;
    }
    try {
      startKill(pgid, signal).waitFor(2, TimeUnit.SECONDS);
    } catch (IOException e) {
      signalLeader(signal, leader);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Runs {@code kill -s SIGNAL -- -PGID}, output discarded. */
  private static Process startKill(long pgid, String signal) throws IOException {
    return new ProcessBuilder(KILL.get(), "-s", signal, "--", "-" + pgid)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
  }

  private static void signalLeader(String signal, ProcessHandle leader) {
    if (leader == null) {
      return;
    }
    if (signal.equals("KILL")) {
      leader.destroyForcibly();
    } else if (signal.equals("TERM")) {
      leader.destroy();
    } else if (!leader.isAlive()) {
      return;
    } else if (NativeSignals.active()) {
      NativeSignals.kill(leader.pid(), signal);
    } else if (KILL.isPresent()) { // never another signal in its place: a SIGTERM for a SIGHUP would stop a child asked to reload
      try {
        new ProcessBuilder(KILL.get(), "-s", signal, "--", Long.toString(leader.pid())).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      } catch (IOException e) {
        log.warn("cannot run {} to send SIG{} to pid {}: {}", KILL.get(), signal, leader.pid(), e.getMessage());
      }
    } else if (warnedKill.compareAndSet(false, true)) {
      log.warn("no kill binary: SIG{} cannot be sent to pid {} (the JDK sends only TERM and KILL); install procps", signal,
          leader.pid());
    }
  }


  /** The pids whose process group is {@code pgid}, read from {@code /proc/<pid>/stat}. */
  public static List<Long> members(long pgid) {
    List<Long> out = new ArrayList<>();
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(Path.of("/proc"))) {
      for (Path p : dir) {
        String name = p.getFileName().toString();
        if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
          continue;
        }
        ProcStat.read(Long.parseLong(name)).ifPresent(st -> {
          if (st.pgrp() == pgid && st.state() != 'Z') {
            out.add(st.pid());
          }
        });
      }
    } catch (IOException e) {
      log.debug("cannot list /proc: {}", e.toString());
    }
    return out;
  }

  /**
   * Sends {@code signal} to each of {@code pids} (processes that left their child's process group):
   * TERM and KILL through {@link ProcessHandle}, which checks the start time against pid reuse;
   * any other signal through one {@code kill -s SIG -- pid...}, not waited for.
   */
  public static void signalPids(List<Long> pids, String signal) {
    if (pids.isEmpty()) {
      return;
    }
    if (signal.equals("TERM") || signal.equals("KILL") || (KILL.isEmpty() && !NativeSignals.active())) {
      for (long pid : pids) {
        ProcessHandle.of(pid).ifPresent(h -> {
          try {
            if (signal.equals("TERM")) {
              h.destroy();
            } else {
              h.destroyForcibly(); // without a kill binary, any other signal becomes SIGKILL
            }
          } catch (IllegalStateException e) {
            // the current process: never ours to signal
          }
        });
      }
      return;
    }
    if (NativeSignals.active()) {
      for (long pid : pids) {
        NativeSignals.kill(pid, signal); // gone meanwhile (ESRCH): nothing to do
      }
      return;
    }
    List<String> cmd = new ArrayList<>(List.of(KILL.get(), "-s", signal, "--"));
    pids.forEach(p -> cmd.add(Long.toString(p)));
    try {
      new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      log.warn("cannot run {} to signal {}: {}", KILL.get(), pids, e.getMessage());
    }
  }

  private static volatile Snapshot lastScan;

  private record Snapshot(long atNanos, List<ProcStat> all) {}

  /** Every process in {@code /proc}, zombies included; a scan younger than {@code maxAgeMillis} is reused. */
  private static List<ProcStat> scan(long maxAgeMillis) {
    Snapshot s = lastScan;
    long now = System.nanoTime();
    if (s != null && now - s.atNanos() < TimeUnit.MILLISECONDS.toNanos(maxAgeMillis)) {
      return s.all();
    }
    List<ProcStat> out = new ArrayList<>();
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(Path.of("/proc"))) {
      for (Path p : dir) {
        String name = p.getFileName().toString();
        if (!name.isEmpty() && Character.isDigit(name.charAt(0))) {
          ProcStat.read(Long.parseLong(name)).ifPresent(out::add);
        }
      }
    } catch (IOException e) {
      log.debug("cannot list /proc: {}", e.toString());
    }
    lastScan = new Snapshot(now, List.copyOf(out));
    return out;
  }

  /**
   * The fallback without cgroups: the live processes of group {@code pgid} and every live
   * descendant of its leader or of a member, found by their parent chain in one {@code /proc}
   * scan (reused for {@code maxAgeMillis}). A descendant whose parent exited was re-parented to
   * init: its chain is broken and it is not found.
   */
  public static List<Long> groupAndDescendants(long pgid, long maxAgeMillis) {
    List<ProcStat> all = scan(maxAgeMillis);
    java.util.Map<Long, List<Long>> children = new java.util.HashMap<>();
    java.util.Set<Long> found = new java.util.LinkedHashSet<>();
    java.util.Set<Long> live = new java.util.HashSet<>();
    for (ProcStat st : all) {
      children.computeIfAbsent(st.ppid(), k -> new ArrayList<>()).add(st.pid());
      if (st.state() != 'Z') {
        live.add(st.pid());
      }
      if (st.pgrp() == pgid || st.pid() == pgid) {
        found.add(st.pid());
      }
    }
    java.util.Deque<Long> todo = new java.util.ArrayDeque<>(found);
    while (!todo.isEmpty()) {
      for (long c : children.getOrDefault(todo.pop(), List.of())) {
        if (found.add(c)) {
          todo.push(c);
        }
      }
    }
    found.retainAll(live);
    return new ArrayList<>(found);
  }

  /** How many live processes each of {@code pgids} has, in one {@code /proc} scan. */
  public static java.util.Map<Long, Integer> countMembers(java.util.Collection<Long> pgids) {
    java.util.Map<Long, Integer> out = new java.util.HashMap<>();
    if (pgids.isEmpty()) {
      return out;
    }
    java.util.Set<Long> wanted = new java.util.HashSet<>(pgids);
    for (ProcStat st : scan(0)) {
      if (st.state() != 'Z' && wanted.contains(st.pgrp())) {
        out.merge(st.pgrp(), 1, Integer::sum);
      }
    }
    return out;
  }

  /** Whether any live (non-zombie) process is in group {@code pgid}. */
  public static boolean hasMembers(long pgid) {
    return !members(pgid).isEmpty();
  }
}
