package dev.supervisor.internal.engine;

import dev.supervisor.Durations;
import dev.supervisor.StormBreaker;
import dev.supervisor.event.StormBreakerClosed;
import dev.supervisor.event.StormBreakerTripped;
import dev.supervisor.spi.TimerClock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link StormBreaker} at work. Loop-confined: every method runs on the supervisor's event
 * loop; {@link #status()} reads a published snapshot.
 */
final class Breaker {
  private static final Logger log = LoggerFactory.getLogger(Breaker.class);

  private final Engine engine;
  private final StormBreaker config;
  private final int threshold;
  /** The latest crash of each child (loop-confined). */
  private final Map<ChildMachine, Instant> lastCrash = new HashMap<>();
  /** Children whose restart came due while open, with what starts them. */
  private final Map<ChildMachine, Runnable> held = new LinkedHashMap<>();
  private boolean open;
  private Instant openedAt;
  private ChildMachine probe;
  private TimerClock.Timer probeTimer;
  private volatile StormBreaker.Status status;

  Breaker(Engine engine, StormBreaker config, int children) {
    this.engine = engine;
    this.config = config;
    this.threshold = config.threshold(children);
    publish();
  }

  StormBreaker.Status status() {
    return status;
  }

  /** An un-requested failure of {@code r} (not one found by crash recovery). */
  void crashed(ChildMachine r, Instant now) {
    if (threshold == Integer.MAX_VALUE) {
      return;
    }
    if (r == probe) {
      cancelProbeTimer(); // the probe failed; it stays the probe and follows its own policy
      return;
    }
    lastCrash.put(r, now);
    if (open) {
      return;
    }
    Instant since = now.minus(config.window());
    lastCrash.values().removeIf(t -> !t.isAfter(since));
    if (lastCrash.size() >= threshold) {
      open = true;
      openedAt = now;
      List<String> names = lastCrash.keySet().stream().sorted(Comparator.comparingInt(c -> c.index)).map(ChildMachine::name).toList();
      log.warn("storm breaker tripped: {} children crashed within {} ({}); restarts pause until one stays up for {}",
          names.size(), Durations.format(config.window()), String.join(", ", names), Durations.format(config.probe()));
      publish();
      engine.emit(new StormBreakerTripped(now, names, config.toString()));
    }
  }

  /**
   * A restart of {@code r} came due. Returns true if the breaker holds it ({@code start} runs
   * when the breaker closes); the first child due while open becomes the probe and starts.
   */
  boolean hold(ChildMachine r, Runnable start) {
    if (!open || engine.isShuttingDown()) {
      return false;
    }
    if (probe == null || probe == r) {
      if (probe == null) {
        probe = r;
        log.info("storm breaker: trying '{}' first", r.name());
        publish();
      }
      return false;
    }
    held.put(r, start);
    publish();
    return true;
  }


  /** Why a held child waits, for its status. */
  String heldReason() {
    return "held by the storm breaker: restarts resume once " + (probe == null ? "one child" : "'" + probe.name() + "'")
        + " stays up for " + Durations.format(config.probe());
  }

  /** {@code r} is up (RUNNING, or READY when it has readiness). */
  void up(ChildMachine r, long runId) {
    if (open && r == probe) {
      cancelProbeTimer();
      probeTimer = engine.schedule(() -> probePassed(r, runId), config.probe());
    }
  }

  /** {@code r} was started by an operator, or will not start again by itself (FATAL, EXITED, STOPPED). */
  void left(ChildMachine r) {
    boolean changed = held.remove(r) != null;
    if (r == probe) {
      cancelProbeTimer();
      probe = null;
      changed = true;
      nextProbe();
    }
    if (changed) {
      publish();
    }
  }

  private void nextProbe() {
    if (engine.isShuttingDown()) {
      return;
    }
    Optional<ChildMachine> next = held.keySet().stream().min(Comparator.comparingInt(c -> c.index));
    if (next.isPresent()) {
      Runnable start = held.remove(next.get());
      probe = next.get();
      log.info("storm breaker: the probe gave out; trying '{}'", probe.name());
      start.run();
    } else if (open) {
      close(null); // nothing is waiting: nothing to protect
    }
  }

  private void probePassed(ChildMachine r, long runId) {
    probeTimer = null;
    if (!open || r != probe || r.runId() != runId || !r.isUp()) {
      return;
    }
    close(r);
  }

  private void close(ChildMachine passed) {
    List<Map.Entry<ChildMachine, Runnable>> release = new ArrayList<>(held.entrySet());
    release.sort(Comparator.comparingInt(e -> e.getKey().index));
    held.clear();
    open = false;
    openedAt = null;
    probe = null;
    lastCrash.clear();
    List<String> names = release.stream().map(e -> e.getKey().name()).toList();
    log.info("storm breaker closed{}; starting {}", passed == null ? "" : ": '" + passed.name() + "' stayed up", names);
    publish();
    engine.emit(new StormBreakerClosed(engine.now(), passed == null ? "" : passed.name(), names));
    for (Map.Entry<ChildMachine, Runnable> e : release) {
      e.getValue().run();
    }
  }

  private void cancelProbeTimer() {
    if (probeTimer != null) {
      probeTimer.cancel();
      probeTimer = null;
    }
  }

  private void publish() {
    status = new StormBreaker.Status(open, Optional.ofNullable(openedAt), Optional.ofNullable(probe).map(ChildMachine::name),
        held.keySet().stream().sorted(Comparator.comparingInt(c -> c.index)).map(ChildMachine::name).toList(), config.toString());
  }
}
