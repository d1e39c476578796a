package dev.supervisor.internal.engine;

import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.ChildView;
import dev.supervisor.ExitStatus;
import dev.supervisor.RunRecord;
import dev.supervisor.event.ChildStateChanged;
import dev.supervisor.persist.PersistedState;
import dev.supervisor.spi.TimerClock;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The states of one child, and what is published of them: its spec and place in the start order,
 * its state and counters, the one way a state changes ({@link #transition}, checked against
 * {@link ChildState}'s table), and the snapshot other threads read. {@link ChildRunner} adds the
 * behaviour. Loop-confined except where a field says otherwise.
 */
abstract class ChildMachine {
  private static final Logger log = LoggerFactory.getLogger(ChildRunner.class);
  /** Tests run with it: a transition outside ChildState's table fails them; in production it is logged as a bug. */
  private static final boolean STRICT_STATES = Boolean.getBoolean("supervisor.strictStates");

  final Engine engine;
  /** Replaced only by a reload, while the child is not alive. */
  volatile ChildSpec spec;
  /** Start order position; a reload renumbers. */
  volatile int index;
  volatile Path logFile;
  /** Scaled away: hidden from status and specs, stopped, kept for a later scale up. */
  volatile boolean retired;

  /** Written on the loop only; volatile because forceKill() reads it from the closing thread when the loop may be stuck. */
  volatile ChildState state = ChildState.STOPPED;
  /** Written by the caller's thread on operator commands (so awaitHealthy sees the intent at once) and by the loop. */
  volatile boolean desiredRunning = true;
  /** Operator commands accepted but not yet run by the loop: the snapshot is about to change. */
  final AtomicInteger pendingCommands = new AtomicInteger();
  long runId;
  Instant startedAt;
  int restarts;
  ExitStatus lastExit;
  Instant lastExitAt;
  Instant nextRestartAt;
  String reason;
  final RunHistory history = new RunHistory();
  /** The current run's process, when it has one. */
  final LiveProcess process;

  /** The latest published view; the only thing other threads read. */
  volatile ChildSnapshot snapshot;

  ChildMachine(Engine engine, ChildSpec spec, int index, Path logFile) {
    this.engine = engine;
    this.spec = spec;
    this.index = index;
    this.logFile = logFile;
    this.process = new LiveProcess(engine, this);
  }

  /** The {@code STATUS=} text the child sent last, if any (published with the rest). */
  abstract Optional<String> statusText();

  /** A reload (loop thread, child not alive): the next start runs {@code next}. */
  void respec(ChildSpec next, Path nextLogFile) {
    spec = next;
    logFile = nextLogFile;
  }

  String name() {
    return spec.name();
  }

  ChildSpec spec() {
    return spec;
  }

  ChildState state() {
    return state;
  }

  long runId() {
    return runId;
  }

  /** The recent runs, oldest first (loop thread only). */
  List<RunRecord> history() {
    return history.runs();
  }

  boolean desiredRunning() {
    return desiredRunning;
  }

  /** Records the operator's intent before the command reaches the loop (any thread). */
  void setDesiredRunning(boolean desired) {
    desiredRunning = desired;
  }

  Optional<Path> logFile() {
    return Optional.ofNullable(logFile);
  }

  /** The live run's pid, if it has a process. */
  OptionalLong livePid() {
    return process.livePid();
  }

  /** Up means dependents may start: READY, or RUNNING when no readiness is configured. */
  boolean isUp() {
    return state == ChildState.READY || (state == ChildState.RUNNING && !spec.hasReadiness());
  }

  /**
   * Up again (READY, or RUNNING without readiness) in a run after {@code runBefore}, with no
   * operator command still pending: what a rolling restart or a reload waits for. Reads only
   * published state, from any thread.
   */
  boolean upAgainAfter(long runBefore) {
    ChildSnapshot now = snapshot;
    return now.runId() > runBefore && pendingCommands.get() == 0
        && (now.state() == ChildState.READY || (now.state() == ChildState.RUNNING && !spec.hasReadiness()));
  }

  /** What it must become to count as up: READY with readiness, else RUNNING. */
  String upState() {
    return spec.hasReadiness() ? "READY" : "RUNNING";
  }

  /**
   * {@code RELOADING=1} or {@code STOPPING=1}: not ready until {@code READY=1} again. Returns true
   * when only the reason changed, for the caller to publish once with the rest of its datagram.
   */
  boolean notReady(String why) {
    if (state == ChildState.READY && spec.hasReadiness()) {
      transition(ChildState.RUNNING, null, why);
      return false;
    }
    reason = why;
    return true;
  }

  /** A new {@code STATUS=} text. */
  void statusChanged() {
    publish();
  }

  /** What a probe sees of the current run. */
  ChildView view() {
    return new ChildView(spec, process.pid(), runId, logFile());
  }

  /** Whether its live process was spawned by this supervisor with a parent-death signal (an adopted one never has one). */
  boolean diesWithParent() {
    return state.isAlive() && process.spawnedHere();
  }

  /** SIGKILL to the group now, without a grace (used when shutdown times out). */
  void forceKill() {
    process.forceKill(state.isAlive());
  }

  /** Samples the live run's cpu time and rss ({@link RunSampler}). */
  void sample(Instant now) {
    if (state.isAlive() && startedAt != null) {
      process.sample(now);
    }
  }

  /** Takes over counters and intent from a saved state (before anything starts). */
  void restore(PersistedState.Child saved) {
    restarts = saved.restarts();
    runId = saved.runId();
    lastExit = saved.lastExit().orElse(null);
    desiredRunning = saved.desiredRunning();
    reason = saved.reason().orElse(null);
    publish();
  }

  /** Saved as FATAL: stays FATAL until an operator restarts it. */
  void restoreFatal() {
    transition(ChildState.FATAL, null, reason == null ? "FATAL before the supervisor restarted" : reason);
  }

  /**
   * The one way a state changes: checked against {@link ChildState#canBecome}, then published,
   * then evented. A settled child leaves the storm breaker's hold.
   */
  void transition(ChildState to, ExitStatus exit, String why) {
    ChildState from = state;
    if (!from.canBecome(to)) {
      String bug = "bug: child '" + name() + "' (run " + runId + ") went " + from + " -> " + to + (why == null ? "" : " (" + why + ")")
          + ", which ChildState's table does not allow; please report it";
      if (STRICT_STATES) {
        throw new IllegalStateException(bug);
      }
      log.error(bug);
    }
    state = to;
    if (to == ChildState.FATAL || to == ChildState.EXITED || to == ChildState.STOPPED) {
      engine.breaker().left(this);
    }
    reason = why;
    if (to != ChildState.BACKOFF) {
      nextRestartAt = null;
    }
    OptionalLong pid = process.livePid();
    publish();
    log.debug("child '{}' run {}: {} -> {}{}", name(), runId, from, to, why == null ? "" : " (" + why + ")");
    engine.emit(new ChildStateChanged(engine.now(), name(), runId, pid, from, to, Optional.ofNullable(exit), Optional.ofNullable(why)));
  }

  /** A new snapshot for other threads, then the waiters woken and the saved state marked dirty. */
  void publish() {
    snapshot = new ChildSnapshot(state,
        process.livePid(),
        runId,
        process.present() ? Optional.ofNullable(startedAt) : Optional.empty(),
        restarts,
        Optional.ofNullable(lastExit),
        Optional.ofNullable(lastExitAt),
        Optional.ofNullable(nextRestartAt),
        Optional.ofNullable(reason),
        desiredRunning,
        process.signature(),
        history.consecutiveFailures(),
        statusText(),
        process.cgroup());
    engine.changed();
  }

  static void cancelTimer(TimerClock.Timer t) {
    if (t != null) {
      t.cancel();
    }
  }
}
