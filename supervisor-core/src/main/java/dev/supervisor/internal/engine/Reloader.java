package dev.supervisor.internal.engine;

import dev.supervisor.ChildSpec;
import java.util.Objects;
import dev.supervisor.ConfigSource;
import dev.supervisor.ConfigException;
import dev.supervisor.ChildState;
import dev.supervisor.Durations;
import dev.supervisor.ReloadResult;
import dev.supervisor.Supervisor;
import dev.supervisor.event.ConfigReloadFailed;
import dev.supervisor.event.ConfigReloaded;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Supervisor#reload(List, Duration)}: applies a new set of children by difference (removed
 * ones stop, added ones start, changed ones restart one at a time, unchanged ones are not
 * touched), on the caller's thread, one reload at a time.
 */
final class Reloader {
  private static final Logger log = LoggerFactory.getLogger(Reloader.class);

  private final Engine engine;
  private final Commands commands;
  private final ChildTable table;
  private final Instances instances;
  private final NotifySockets notifySockets;
  private final ChildSockets listenSockets;

  Reloader(Engine engine, Commands commands, ChildTable table, Instances instances, NotifySockets notifySockets,
      ChildSockets listenSockets) {
    this.listenSockets = listenSockets;
    this.engine = engine;
    this.commands = commands;
    this.table = table;
    this.instances = instances;
    this.notifySockets = notifySockets;
  }

  /** The plan of a reload: names by what happens to them. */
  private record Plan(List<String> added, List<String> removed, List<String> restarted, List<String> unchanged) {}

  /** The caller holds the reload lock and has checked that the supervisor runs. */
  ReloadResult apply(List<ChildSpec> specs, Duration perChild) throws TimeoutException, InterruptedException {
    try {
      return applyAll(specs, perChild);
    } finally { // also after a reload that stopped half-way: a removed child's sockets must not go on queueing clients
      if (!engine.isShuttingDown()) {
        try { // on the loop, where spawns take descriptors
          commands.onLoop(() -> listenSockets.retain(table.live().stream().map(r -> r.spec).toList()));
        } catch (RuntimeException ended) {
          // the supervisor ended meanwhile: its sockets are closed with it
        }
      }
    }
  }

  private ReloadResult applyAll(List<ChildSpec> specs, Duration perChild) throws TimeoutException, InterruptedException {
    Instances.Expanded next;
    try {
      next = Instances.expand(specs);
    } catch (IllegalArgumentException | NullPointerException e) {
      String why = "reload refused, nothing changed: " + e.getMessage();
      refused(why);
      throw new IllegalArgumentException(why, e);
    }
    Map<String, ChildSpec> wanted = new LinkedHashMap<>();
    next.ordered().forEach(sp -> wanted.put(sp.name(), sp));
    List<ChildRunner> live = table.live();
    List<ChildRunner> removed = live.stream().filter(r -> !wanted.containsKey(r.name())).toList();
    Plan plan = plan(live, removed, next.ordered());
    log.info("reload: adding {}, removing {}, restarting {}, {} unchanged", plan.added(), plan.removed(), plan.restarted(),
        plan.unchanged().size());
    List<String> done = new ArrayList<>();
    // 1. removed: last started first, each stopped before the next
    for (int i = removed.size() - 1; i >= 0; i--) {
      ChildRunner r = removed.get(i);
      commands.stop(r.name());
      awaitStopped(r, perChild, "stopping removed child", done, plan);
      r.retired = true;
      done.add("removed " + r.name());
    }

    // 2. the new start order: runners for the added ones (a name removed before is reused), renumbered
    synchronized (commands.monitor()) {
      for (String name : plan.added()) {
        ChildSpec sp = wanted.get(name);
        ChildRunner r = table.get(name);
        if (r == null) {
          r = table.add(sp);
        } else {
          ChildRunner old = r;
          Path logFile = table.logFileOf(sp);
          commands.onLoop(() -> old.respec(sp, logFile));
        }
        notifySockets.bindIfNeeded(r);
      }
      table.reorder(new ArrayList<>(wanted.keySet()));
      instances.reset(next);
    }
    // 3. added: started in start order; each spawns once its dependencies are up
    for (String name : plan.added()) {
      table.get(name).retired = false;
      commands.start(name);
      done.add("added " + name);
    }
    // 4. changed: one at a time, each up again before the next
    for (String name : plan.restarted()) {
      ChildRunner r = table.get(name);
      ChildSpec sp = wanted.get(name);
      boolean wasRunning = r.snapshot.desiredRunning();
      commands.stop(name);
      awaitStopped(r, perChild, "restarting changed child", done, plan);
      Path logFile = table.logFileOf(sp);
      commands.onLoop(() -> r.respec(sp, logFile));
      notifySockets.bindIfNeeded(r);
      if (wasRunning) {
        long runBefore = r.snapshot.runId();
        commands.start(name);
        awaitUp(r, runBefore, perChild, done, plan);
      }
      done.add("restarted " + name);
    }
    engine.changed();
    ReloadResult result = new ReloadResult(plan.added(), plan.removed(), plan.restarted(), plan.unchanged());
    log.info("reload done: added {}, removed {}, restarted {}, unchanged {}", plan.added(), plan.removed(), plan.restarted(),
        plan.unchanged());
    engine.emit(new ConfigReloaded(engine.now(), plan.added(), plan.removed(), plan.restarted(), plan.unchanged()));
    return result;
  }

  /** The specs of {@code source}; a config that cannot be read is refused (logged and evented) and thrown. */
  List<ChildSpec> load(ConfigSource source) throws ConfigException {
    try {
      return Objects.requireNonNull(source, "source").load();
    } catch (ConfigException e) {
      refused(e.getMessage());
      throw e;
    }
  }

  /** A reload that cannot be made: logged and evented. */
  void refused(String message) {
    log.warn("{}", message);
    engine.emit(new ConfigReloadFailed(engine.now(), message));
  }

  private static Plan plan(List<ChildRunner> live, List<ChildRunner> removed, List<ChildSpec> ordered) {
    Map<String, ChildRunner> liveByName = new LinkedHashMap<>();
    live.forEach(r -> liveByName.put(r.name(), r));
    List<String> added = new ArrayList<>();
    List<String> restarted = new ArrayList<>();
    List<String> unchanged = new ArrayList<>();
    for (ChildSpec sp : ordered) {
      ChildRunner r = liveByName.get(sp.name());
      if (r == null) {
        added.add(sp.name());
      } else if (r.spec.equals(sp)) {
        unchanged.add(sp.name());
      } else {
        restarted.add(sp.name());
      }
    }
    return new Plan(added, removed.stream().map(ChildRunner::name).toList(), restarted, unchanged);
  }

  private void awaitStopped(ChildRunner r, Duration perChild, String doing, List<String> done, Plan plan)
      throws TimeoutException, InterruptedException {
    if (!commands.awaitUntil(() -> r.pendingCommands.get() == 0 && !r.snapshot.state().isAlive(),
        System.nanoTime() + perChild.toNanos())) {
      throw timeout(doing + " '" + r.name() + "': it did not stop within " + Durations.format(perChild), done, plan);
    }
  }

  private void awaitUp(ChildRunner r, long runBefore, Duration perChild, List<String> done, Plan plan)
      throws TimeoutException, InterruptedException {
    boolean back = commands.awaitUntil(() -> r.upAgainAfter(runBefore) || r.snapshot.state() == ChildState.FATAL,
        System.nanoTime() + perChild.toNanos());
    if (!back || !r.upAgainAfter(runBefore)) {
      ChildSnapshot now = r.snapshot;
      throw timeout("restarting changed child '" + r.name() + "': it did not come back " + r.upState() + " within "
          + Durations.format(perChild) + " (it is " + now.state() + now.reason().map(x -> ": " + x).orElse("") + ")", done, plan);
    }
  }

  private TimeoutException timeout(String what, List<String> done, Plan plan) {
    String msg = "reload stopped at " + what + "; done: " + (done.isEmpty() ? "nothing" : String.join(", ", done))
        + " (planned: added " + plan.added() + ", removed " + plan.removed() + ", restarted " + plan.restarted() + ")";
    refused(msg);
    return new TimeoutException(msg);
  }
}
