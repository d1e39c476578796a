package dev.supervisor.internal.engine;

import dev.supervisor.ChildStatus;
import dev.supervisor.Supervisor;
import dev.supervisor.SupervisorState;
import dev.supervisor.SupervisorStatus;
import dev.supervisor.internal.Cgroups;
import dev.supervisor.internal.PrivilegeReports;
import dev.supervisor.internal.ProcStat;
import dev.supervisor.internal.ProcessGroups;
import dev.supervisor.internal.SystemProcessLauncher;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * {@link Supervisor#status()}: one snapshot of every child from the snapshots they published,
 * with cpu time, rss and process counts read from {@code /proc} for live children. Reads only
 * published (volatile) state, so it is safe from any thread and never waits for the loop.
 */
final class StatusReader {
  private StatusReader() {}

  /** The status now; {@code state} is the supervisor's. */
  static SupervisorStatus take(Engine engine, SupervisorState state) {
    List<ChildRunner> children = engine.runners();
    Instant now = engine.now();
    List<ChildStatus> out = new ArrayList<>(children.size());
    Map<Long, Integer> groupCounts = groupCounts(engine);
    for (ChildRunner r : children) {
      if (r.retired) {
        continue;
      }
      ChildSnapshot c = r.snapshot;
      Optional<Duration> cpu = Optional.empty();
      OptionalLong rss = OptionalLong.empty();
      if (c.pid().isPresent() && c.state().isAlive()) {
        long pid = c.pid().getAsLong();
        cpu = ProcStat.read(pid).map(ProcStat::cpuTime);
        rss = ProcStat.rssBytes(pid);
      }
      Optional<Duration> uptime = c.startedAt().filter(t -> c.state().isAlive()).map(t -> Duration.between(t, now));
      OptionalLong livePid = c.state().isAlive() ? c.pid() : OptionalLong.empty();
      out.add(new ChildStatus(r.name(), c.state(), livePid, c.runId(), uptime,
          c.restarts(), c.lastExit(), c.lastExitAt(), c.nextRestartAt(), c.reason(), cpu, rss, r.spec.restartPolicy().toString(),
          c.statusText(), PrivilegeReports.of(r.spec, engine.launcher(), engine.hostEnv(), engine.parentDeathSignal(),
              r.logFile(), livePid), engine.logFaults().of(r.name()), processCount(c, livePid, groupCounts)));
    }
    return new SupervisorStatus(state, now, out, engine.breaker().status());
  }

  /** Live processes of a child: its cgroup's, else its process group's (real processes only). */
  private static OptionalInt processCount(ChildSnapshot c, OptionalLong livePid, Map<Long, Integer> groupCounts) {
    if (livePid.isEmpty()) {
      return OptionalInt.empty();
    }
    if (c.cgroup().isPresent()) {
      // the leader is alive; it may not have joined its cgroup yet (it joins just before its exec)
      return OptionalInt.of(Math.max(1, Cgroups.count(c.cgroup().get())));
    }
    Integer n = groupCounts.get(livePid.getAsLong());
    return n == null ? OptionalInt.empty() : OptionalInt.of(n);
  }

  /** For live children without a cgroup, their process groups' sizes in one /proc scan. */
  private static Map<Long, Integer> groupCounts(Engine engine) {
    if (!(engine.launcher() instanceof SystemProcessLauncher)) {
      return Map.of();
    }
    List<Long> pgids = new ArrayList<>();
    for (ChildRunner r : engine.runners()) {
      ChildSnapshot c = r.snapshot;
      if (!r.retired && c.state().isAlive() && c.pid().isPresent() && c.cgroup().isEmpty()) {
        pgids.add(c.pid().getAsLong());
      }
    }
    Map<Long, Integer> counts = new HashMap<>(ProcessGroups.countMembers(pgids));
    pgids.forEach(p -> counts.putIfAbsent(p, 0));
    return counts;
  }
}
