package dev.supervisor.internal.engine;

import dev.supervisor.OrphanPolicy;
import dev.supervisor.StopSignal;
import dev.supervisor.Supervisor;
import dev.supervisor.internal.Cgroups;
import dev.supervisor.internal.ChildCgroup;
import dev.supervisor.internal.ProcessGroups;
import dev.supervisor.persist.PersistedState;
import dev.supervisor.persist.ProcessSignature;
import dev.supervisor.spi.LaunchedProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first task of a starting supervisor that found a saved state: deals with what a crashed
 * predecessor left running, then starts each child as its saved intent says. Runs on the event
 * loop before anything else; killing orphans blocks it for at most the longest stop grace plus
 * 2 s, which is harmless because nothing else is running yet.
 */
public final class Recovery {
  private static final Logger log = LoggerFactory.getLogger(Recovery.class);

  private Recovery() {}

  /** A process group, and the cgroup its supervisor made for it if that still exists, to stop before starting fresh. */
  private record Orphan(String name, long pgid, StopSignal signal, Duration grace, String why, Optional<ChildCgroup> cgroup) {
    boolean empty() {
      return !ProcessGroups.hasMembers(pgid) && cgroup.map(ChildCgroup::isEmpty).orElse(true);
    }

    void signal(String sig) {
      ProcessGroups.signalGroupAndWait(pgid, sig, ProcessHandle.of(pgid).orElse(null));
      cgroup.ifPresent(g -> {
        if (sig.equals("KILL")) {
          g.kill();
        } else {
          g.signalOutsideGroup(sig, pgid);
        }
      });
    }
  }

  static void recover(Engine engine, PersistedState saved, OrphanPolicy policy) {
    log.info("recovering from saved state of {} (written by {})", saved.savedAt(),
        saved.supervisor().map(ProcessSignature::toString).orElse("unknown"));
    Map<ChildRunner, PersistedState.Child> byRunner = new LinkedHashMap<>();
    List<Orphan> toStop = new ArrayList<>();
    Map<ChildRunner, LaunchedProcess> toAdopt = new LinkedHashMap<>();
    Map<ChildRunner, Boolean> crashedUnseen = new LinkedHashMap<>();
    boolean handedOver = saved.handedOverAt().isPresent(); // no crash: its children are ours to adopt, whatever the policy
    if (handedOver) {
      log.info("the previous supervisor handed its children over at {}: adopting every live one", saved.handedOverAt().get());
    }
    for (ChildRunner r : engine.runners()) {
      Optional<PersistedState.Child> p = saved.child(r.name());
      if (p.isEmpty()) {
        continue;
      }
      byRunner.put(r, p.get());
      r.restore(p.get());
      if (p.get().process().isEmpty()) {
        continue;
      }
      ProcessSignature sig = p.get().process().get();
      Optional<ChildCgroup> cgroup = p.get().cgroup().flatMap(Cgroups::saved);
      Optional<LaunchedProcess> adopted = policy == OrphanPolicy.ADOPT || handedOver
          ? engine.launcher().adopt(sig, p.get().cgroup()) : Optional.empty();
      if (adopted.isPresent()) {
        toAdopt.put(r, adopted.get());
      } else if (sig.isAlive() && policy != OrphanPolicy.ADOPT && !handedOver) {
        toStop.add(new Orphan(r.name(), sig.pid(), r.spec.stopSignal(), r.spec.stopGrace(), "orphan of a crashed supervisor", cgroup));
      } else if (sig.isAlive()) { // to adopt, but the launcher cannot: never killed as leftovers, it may be the child itself
        log.warn("child '{}' (pid {}) is alive but {} cannot adopt it: it is left alone and counted as a crash", r.name(), sig.pid(),
            engine.launcher());
        crashedUnseen.put(r, true);
      } else {
        crashedUnseen.put(r, true);
        leftovers(r.name(), sig, cgroup).ifPresent(toStop::add);
      }
    }
    Set<String> configured = engine.runners().stream().map(ChildRunner::name).collect(Collectors.toSet());
    for (PersistedState.Child c : saved.children()) {
      if (!configured.contains(c.name()) && c.process().isPresent()) {
        ProcessSignature sig = c.process().get();
        Optional<ChildCgroup> cgroup = c.cgroup().flatMap(Cgroups::saved);
        if (sig.isAlive()) {
          log.warn("saved state names child '{}' (pid {}), which is no longer configured: stopping it", c.name(), sig.pid());
          toStop.add(new Orphan(c.name(), sig.pid(), StopSignal.TERM, Duration.ofSeconds(10), "no longer configured", cgroup));
        } else {
          leftovers(c.name(), sig, cgroup).ifPresent(toStop::add);
        }
      }
    }
    stopAll(toStop);

    // every adopted process's sockets first: a child started below must find them held, not bind them anew
    toAdopt.forEach((r, process) -> engine.adopted(r, process.pid()));
    for (ChildRunner r : engine.runners()) {
      PersistedState.Child p = byRunner.get(r);
      if (p == null) {
        r.operatorStart();
      } else if (toAdopt.containsKey(r)) {
        log.info("adopting child '{}' (pid {}) left running by {}", r.name(), toAdopt.get(r).pid(),
            handedOver ? "the previous supervisor" : "a crashed supervisor");
        r.adopt(toAdopt.get(r), handedOver ? Optional.of(p.state()) : Optional.empty());
      } else if (p.fatal()) {
        r.restoreFatal();
      } else if (!p.desiredRunning()) {
        log.info("child '{}' was stopped by an operator: it stays stopped", r.name());
      } else if (crashedUnseen.containsKey(r) && wasAlive(p.state())) {
        log.warn("child '{}' (pid {}) died while the supervisor was down: recorded as a crash", r.name(),
            p.process().get().pid());
        r.recoveredCrash(saved.savedAt());
      } else {
        r.requestStart(false);
      }
    }
  }

  /** {@link Supervisor#killRecordedChildren}: every recorded child's live group and cgroup, SIGKILLed. */
  public static int killRecorded(PersistedState saved) {
    List<Orphan> toKill = new ArrayList<>();
    for (PersistedState.Child c : saved.children()) {
      if (c.process().isEmpty()) {
        continue;
      }
      ProcessSignature sig = c.process().get();
      Optional<ChildCgroup> cgroup = c.cgroup().flatMap(Cgroups::saved);
      if (sig.isAlive()) {
        toKill.add(new Orphan(c.name(), sig.pid(), StopSignal.KILL, Duration.ZERO, "killed by force", cgroup));
      } else {
        leftovers(c.name(), sig, cgroup).ifPresent(toKill::add);
      }
    }
    stopAll(toKill);
    return toKill.size();
  }

  private static boolean wasAlive(String state) {
    return state.equals("RUNNING") || state.equals("READY") || state.equals("STOPPING") || state.equals("STARTING");
  }

  /**
   * The group of a dead leader can still hold its grandchildren. A pgid stays reserved while any
   * member lives, so members of a group whose leader pid is free are leftovers of our child; if
   * the leader pid is alive again with another start time, it is a recycled pid and the group is
   * not ours. Its cgroup, when the saved state names one that still exists, holds every process
   * left of it (those that left the group too): killed, then the directory removed.
   */
  private static Optional<Orphan> leftovers(String name, ProcessSignature deadLeader, Optional<ChildCgroup> cgroup) {
    if (cgroup.isPresent()) {
      List<Long> members = cgroup.get().pids();
      if (members.isEmpty()) {
        cgroup.get().remove();
        return Optional.empty();
      }
      log.warn("child '{}' left processes {} in its cgroup {}: killing them", name, members, cgroup.get());
      return Optional.of(new Orphan(name, deadLeader.pid(), StopSignal.KILL, Duration.ZERO, "leftover descendants", cgroup));
    }
    if (!ProcessGroups.groupsSupported() || ProcessSignature.of(deadLeader.pid()).isPresent()) {
      return Optional.empty();
    }
    List<Long> members = ProcessGroups.members(deadLeader.pid());
    if (members.isEmpty()) {
      return Optional.empty();
    }
    log.warn("child '{}' left processes {} in its process group {}: killing them", name, members, deadLeader.pid());
    return Optional.of(new Orphan(name, deadLeader.pid(), StopSignal.KILL, Duration.ZERO, "leftover grandchildren", Optional.empty()));
  }

  /** Stop signal to every group, wait up to the longest grace, SIGKILL what is left, wait up to 2 s more. */
  private static void stopAll(List<Orphan> orphans) {
    if (orphans.isEmpty()) {
      return;
    }
    long graceNanos = 0;
    for (Orphan o : orphans) {
      log.info("stopping process group {} of '{}' ({}) with SIG{}{}", o.pgid(), o.name(), o.why(), o.signal(),
          o.cgroup().map(g -> ", and its cgroup " + g).orElse(""));
      o.signal(o.signal().name());
      graceNanos = Math.max(graceNanos, o.grace().toNanos());
    }
    List<Orphan> left = waitEmpty(orphans, graceNanos);
    for (Orphan o : left) {
      log.warn("process group {} of '{}' did not stop within its grace: SIGKILL", o.pgid(), o.name());
      o.signal("KILL");
    }
    left = waitEmpty(left, TimeUnit.SECONDS.toNanos(2));
    for (Orphan o : left) {
      log.error("process group {} of '{}' still has processes {} after SIGKILL", o.pgid(), o.name(),
          o.cgroup().map(ChildCgroup::pids).orElseGet(() -> ProcessGroups.members(o.pgid())));
    }
    for (Orphan o : orphans) {
      o.cgroup().ifPresent(ChildCgroup::remove);
    }
  }

  private static List<Orphan> waitEmpty(List<Orphan> groups, long nanos) {
    long deadline = System.nanoTime() + nanos;
    List<Orphan> left = new ArrayList<>(groups);
    while (true) {
      left.removeIf(Orphan::empty);
      if (left.isEmpty() || System.nanoTime() >= deadline) {
        return left;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }
}
