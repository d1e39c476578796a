package dev.supervisor.internal.engine;

import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.ExitStatus;
import dev.supervisor.RestartDecision;
import dev.supervisor.RunRecord;
import dev.supervisor.Supervisor;
import dev.supervisor.event.ChildGaveUp;
import dev.supervisor.event.ChildStartFailed;
import dev.supervisor.event.RestartScheduled;
import dev.supervisor.spi.LaunchRequest;
import dev.supervisor.spi.LaunchedProcess;
import dev.supervisor.spi.TimerClock;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The behaviour of one child's state machine: the operator's commands, the start (dependencies,
 * spawn, readiness), the stop, the exit and what follows it (the policy's decision, the backoff,
 * a group restart), recovery and adoption. What is published, and how a state changes, is {@link
 * ChildMachine}'s; the process itself is {@link LiveProcess}'s. Every method runs on the
 * supervisor's event thread (the "loop") unless it says otherwise.
 */
final class ChildRunner extends ChildMachine {
  private static final Logger log = LoggerFactory.getLogger(ChildRunner.class);


  // ---- loop-confined state
  /** Set by a hand-over: the process is left to a successor, and nothing of this runner acts again. */
  private boolean detached;
  private boolean currentRunAutomatic;
  private boolean nextStartAutomatic;
  private TimerClock.Timer backoffTimer;
  private final Probes probes;
  private StopPurpose stopPurpose;
  private String unhealthyReason;
  private GroupRestart group;
  /** Its side of the notify protocol, when it uses it. */
  final NotifyProtocol notify;
  /** Its file-watch restarts. */
  final WatchDebounce watch;
  /** becameUp() ran for the current run (probes and the watchdog are armed once per run). */
  private boolean upThisRun;
  /** Set while a crash found by recovery is decided: the supervisor's own downtime served as its backoff. */
  private boolean recovering;
  /** Its log file and notify socket, made ready at each spawn. */
  final RunFiles files = new RunFiles(engine, this);

  ChildRunner(Engine engine, ChildSpec spec, int index, Path logFile) {
    super(engine, spec, index, logFile);
    this.probes = new Probes(engine, this);
    this.notify = new NotifyProtocol(engine, this);
    this.watch = new WatchDebounce(engine, this);
    publish();
  }

  @Override
  Optional<String> statusText() {
    return notify.statusText();
  }

  /** The readiness probe passed. */
  void probedReady() {
    transition(ChildState.READY, null, null);
    becameUp();
  }

  /** A probe, the readiness timeout or the watchdog says the run is not healthy: it is killed, as a failure. */
  void unhealthy(String why) {
    beginStop(StopPurpose.UNHEALTHY, why);
  }

  // ------------------------------------------------------------------ starting

  /** Operator or supervisor start: clears FATAL and the restart history. */
  void operatorStart() {
    desiredRunning = true;
    switch (state) {
      case STOPPED:
      case EXITED:
      case FATAL:
      case BACKOFF:
        cancelTimer(backoffTimer);
        leaveGroup();
        history.clear();
        requestStart(false);
        break;
      case STOPPING:
        if (stopPurpose != StopPurpose.SHUTDOWN) {
          stopPurpose = StopPurpose.OPERATOR_RESTART;
        }
        break;
      default:
        break; // STARTING, RUNNING, READY: already on its way
    }
  }

  void operatorStop() {
    desiredRunning = false;
    leaveGroup();
    switch (state) {
      case RUNNING:
      case READY:
        beginStop(StopPurpose.OPERATOR_STOP, null);
        break;
      case STOPPING:
        if (stopPurpose != StopPurpose.SHUTDOWN) {
          stopPurpose = StopPurpose.OPERATOR_STOP;
        }
        break;
      case STARTING:
      case BACKOFF:
      case EXITED:
      case FATAL:
        cancelTimer(backoffTimer);
        nextRestartAt = null;
        transition(ChildState.STOPPED, null, "stopped by operator");
        break;
      default:
        break;
    }
  }

  void operatorRestart() {
    desiredRunning = true;
    if (state == ChildState.RUNNING || state == ChildState.READY) {
      leaveGroup();
      beginStop(StopPurpose.OPERATOR_RESTART, null);
    } else {
      operatorStart();
    }
  }

  /** Moves to STARTING and spawns as soon as the dependencies are up. */
  void requestStart(boolean automatic) {
    if (engine.isShuttingDown() || !desiredRunning) {
      return;
    }
    if (!automatic) {
      engine.breaker().left(this); // an operator start goes ahead of the breaker
    }
    nextStartAutomatic = automatic;
    nextRestartAt = null;
    if (state != ChildState.STARTING) {
      transition(ChildState.STARTING, null, null);
    }
    trySpawn();
  }

  /** Spawns if in STARTING and every dependency is up; otherwise keeps waiting (called again when one comes up). */
  void trySpawn() {
    if (state != ChildState.STARTING || engine.isShuttingDown()) {
      return;
    }
    for (String dep : spec.dependsOn()) {
      if (!engine.runner(dep).isUp()) {
        String why = "waiting for " + dep + " (" + engine.runner(dep).state() + ")";
        if (!why.equals(reason)) {
          reason = why;
          publish();
        }
        return;
      }
    }
    spawn();
  }

  private void spawn() {
    runId++;
    startedAt = engine.now();
    process.newRun();
    notify.newRun();
    upThisRun = false;
    currentRunAutomatic = nextStartAutomatic;
    if (currentRunAutomatic) {
      restarts++;
    }
    String unusable = files.prepare();
    if (unusable != null) {
      startFailed(unusable);
      return;
    }
    List<Integer> listenFds;
    try {
      listenFds = engine.listenFds(this);
    } catch (IOException | RuntimeException e) {
      startFailed(e.getMessage() == null ? e.toString() : e.getMessage());
      return;
    }
    Map<String, String> env = ChildSockets.environment(notify.environment(spec.effectiveEnv(engine.hostEnv())), spec);
    LaunchedProcess p;
    try {
      p = engine.launcher().launch(new LaunchRequest(spec, runId, env, logFile(), engine.parentDeathSignal(), listenFds));
    } catch (IOException | RuntimeException e) {
      startFailed(e.getMessage() == null ? e.toString() : e.getMessage());
      return;
    }
    stopPurpose = null;
    unhealthyReason = null;
    long myRun = runId;
    process.attach(p, false, (exited, exit) -> onExit(myRun, exited, exit));
    transition(ChildState.RUNNING, null, null);
    if (spec.readiness().isPresent()) {
      probes.awaitReadiness();
    } else if (spec.hasReadiness()) { // READY=1 over the notify socket
      notify.awaitReady();
    } else {
      becameUp();
    }
  }

  private void startFailed(String why) {
    log.error("child '{}' could not start: {}", name(), why);
    engine.emit(new ChildStartFailed(engine.now(), name(), runId, why));
    runEnded(ExitStatus.startFailed(why));
  }

  private void becameUp() {
    if (upThisRun) { // READY again after RELOADING=1 or STOPPING=1: only the dependents may care
      engine.childUp(this);
      return;
    }
    upThisRun = true;
    engine.breaker().up(this, runId);
    notify.startWatchdog();
    probes.startHealth();
    engine.childUp(this);
  }

  // ------------------------------------------------------------------ notify protocol

  // ------------------------------------------------------------------ stopping

  /** Sends the stop signal to the process group and arms the grace timer. */
  void beginStop(StopPurpose purpose, String why) {
    if (!(state == ChildState.RUNNING || state == ChildState.READY)) {
      return;
    }
    stopPurpose = purpose;
    unhealthyReason = purpose == StopPurpose.UNHEALTHY ? why : null;
    probes.cancel();
    notify.cancel();
    transition(ChildState.STOPPING, null, why);
    long myRun = runId;
    process.signalStop(spec.stopSignal().name(), spec.stopGrace(), () -> myRun == runId && state == ChildState.STOPPING);
  }

  /** Shutdown entry: stop a live child, settle a dormant one. Returns true if the caller must wait for it. */
  boolean stopForShutdown() {
    cancelTimer(backoffTimer);
    leaveGroup();
    switch (state) {
      case RUNNING:
      case READY:
        beginStop(StopPurpose.SHUTDOWN, "supervisor stopping");
        return true;
      case STOPPING:
        stopPurpose = stopPurpose == StopPurpose.UNHEALTHY ? StopPurpose.UNHEALTHY : StopPurpose.SHUTDOWN;
        return true;
      case STARTING:
      case BACKOFF:
        nextRestartAt = null;
        transition(ChildState.STOPPED, null, "supervisor stopping");
        return false;
      default:
        return false; // STOPPED, EXITED, FATAL stay as they are
    }
  }


  /**
   * Hand-over: every timer of this runner ends and its process is left alone (not signalled, its
   * cgroup kept), for a successor to adopt. Returns the pid left running, if any.
   */
  OptionalLong detach() {
    detached = true;
    cancelTimer(backoffTimer);
    probes.cancel();
    watch.cancel();
    notify.cancel();
    return process.letGo(state.isAlive());
  }

  // ------------------------------------------------------------------ exits

  /** The exit of run {@code myRun}'s process {@code p} (on the loop): requested or not, then what is left of its group. */
  private void onExit(long myRun, LaunchedProcess p, ExitStatus observed) {
    if (myRun != runId || detached) {
      return;
    }
    probes.cancel();
    notify.cancel();
    ExitStatus exit = observed;
    if (state == ChildState.STOPPING && stopPurpose != null) {
      if (stopPurpose.requested) {
        ExitStatus requested = exit.asRequested();
        process.awaitGroupEmpty(p, () -> myRun == runId && state == ChildState.STOPPING, () -> runEnded(requested));
        return;
      }
      if (unhealthyReason != null) {
        exit = exit.withReason(unhealthyReason);
      }
    }
    process.cancelGrace();
    process.reapCrashed(p);
    runEnded(exit);
  }

  /** A run is over (exit observed, or the start failed): record it and decide what comes next. */
  private void runEnded(ExitStatus exit) {
    Instant now = engine.now();
    process.detached();
    lastExit = exit;
    lastExitAt = now;
    history.ended(new RunRecord(runId, startedAt == null ? now : startedAt, now, exit, currentRunAutomatic));
    StopPurpose purpose = stopPurpose;
    stopPurpose = null;
    if (engine.isShuttingDown()) {
      transition(ChildState.STOPPED, exit, null);
      engine.childSettled(this);
      return;
    }
    if (purpose != null && purpose.requested) {
      switch (purpose) {
        case OPERATOR_RESTART:
          transition(ChildState.STOPPED, exit, "restart requested");
          history.clear();
          requestStart(false);
          return;
        case STRATEGY:
          transition(ChildState.BACKOFF, exit, "stopped by the " + engine.strategy() + " strategy, restarting with its group");
          if (group != null) {
            group.memberStopped(this);
          }
          return;
        default:
          transition(ChildState.STOPPED, exit, purpose == StopPurpose.OPERATOR_STOP ? "stopped by operator" : null);
          return;
      }
    }
    if (exit.isFailure() && !recovering) {
      engine.breaker().crashed(this, now);
    }
    Duration uptime = startedAt == null ? Duration.ZERO : Duration.between(startedAt, now);
    RestartDecision decision = history.decide(name(), spec.restartPolicy(), now);
    if (exit.isFailure()) {
      engine.recordIncident(this, now, runId, exit, uptime.isNegative() ? Duration.ZERO : uptime,
          process.peakRss(), process.cpu(), decision);
    }
    switch (decision.action()) {
      case RESTART:
        log.info("child '{}' (run {}) ended with {}: {}", name(), runId, exit, decision.reason());
        engine.restartWithStrategy(this, exit, recovering ? Duration.ZERO : decision.delay().get(), decision.reason());
        break;
      case NO_RESTART:
        log.info("child '{}' (run {}) ended with {}: not restarted ({})", name(), runId, exit, decision.reason());
        transition(ChildState.EXITED, exit, decision.reason());
        break;
      default:
        String message = "child '" + name() + "' is FATAL: " + decision.reason()
            + "; fix it, then restart it with Supervisor.restart(\"" + name() + "\") or your CLI's restart command";
        log.error(message);
        transition(ChildState.FATAL, exit, decision.reason());
        engine.emit(new ChildGaveUp(now, name(), runId, decision.reason()));
        break;
    }
  }

  /** Enters BACKOFF and starts again after {@code delay} (ONE_FOR_ONE, and the exited child of a group). */
  void scheduleRestart(ExitStatus exit, Duration delay, String why, Runnable whenDue) {
    history.restarted(engine.now());
    nextRestartAt = engine.now().plus(delay);
    transition(ChildState.BACKOFF, exit, why);
    engine.emit(new RestartScheduled(engine.now(), name(), runId, delay, why));
    Runnable due = () -> {
      if (engine.breaker().hold(this, whenDue)) {
        nextRestartAt = null;
        reason = engine.breaker().heldReason();
        publish();
      } else {
        whenDue.run();
      }
    };
    if (delay.isZero()) {
      due.run();
    } else {
      backoffTimer = engine.schedule(due, delay);
    }
  }

  /** Joins a ONE_FOR_ALL / REST_FOR_ONE group restart as a sibling; returns false if it has nothing to restart. */
  boolean joinGroup(GroupRestart g) {
    if (!desiredRunning || group != null) {
      return false;
    }
    switch (state) {
      case RUNNING:
      case READY:
        group = g;
        beginStop(StopPurpose.STRATEGY, "restarting with " + g.cause() + " (" + engine.strategy() + ")");
        return true;
      case STARTING:
      case BACKOFF:
        group = g;
        cancelTimer(backoffTimer);
        nextRestartAt = null;
        if (state != ChildState.BACKOFF) {
          transition(ChildState.BACKOFF, null, "restarting with " + g.cause() + " (" + engine.strategy() + ")");
        }
        g.memberStopped(this);
        return true;
      default:
        return false;
    }
  }

  void setGroup(GroupRestart g) {
    this.group = g;
  }

  void leaveGroup() {
    if (group != null) {
      GroupRestart g = group;
      group = null;
      g.memberLeft(this);
    }
  }

  /** Called by a group restart when its time has come. */
  void groupStart() {
    group = null;
    if (state == ChildState.BACKOFF) {
      requestStart(true);
    }
  }

  // ------------------------------------------------------------------ recovery

  /**
   * The saved run's process died while no supervisor watched it: record it as a crash and let the
   * policy decide, as for any exit.
   */
  void recoveredCrash(Instant startedAtGuess) {
    startedAt = startedAtGuess;
    currentRunAutomatic = false;
    recovering = true;
    try {
      runEnded(ExitStatus.unknown("exited while the supervisor was down"));
    } finally {
      recovering = false;
    }
  }

  /**
   * Re-attaches a live process a previous supervisor left running, as the launcher adopted it
   * ({@link dev.supervisor.spi.ProcessLauncher#adopt}). Its exit is watched as a spawned one's;
   * an unreadable status (not our child) is UNKNOWN, a failure.
   *
   * @param handedOverState the state the previous supervisor saved when it handed the child over
   *     ({@link Supervisor#handOver}), empty after a crash. A child handed over READY is READY at
   *     once; one handed over before it was ready is waited for as at a start (its probe, or
   *     {@code READY=1} on the same notify socket path within its timeout). After a crash nobody
   *     knows: a notify child is taken as READY, since it will not say so again.
   */
  void adopt(LaunchedProcess p, Optional<String> handedOverState) {
    startedAt = p.startedAt().orElse(engine.now());
    stopPurpose = null;
    upThisRun = false;
    notify.newRun();
    long myRun = runId;
    process.attach(p, true, (exited, exit) -> onExit(myRun, exited, exit));
    transition(ChildState.RUNNING, null, handedOverState.isPresent() ? "handed over by the previous supervisor"
        : "adopted from a crashed supervisor");
    boolean wasReady = handedOverState.map("READY"::equals).orElse(false);
    if (wasReady && spec.hasReadiness()) {
      transition(ChildState.READY, null, "handed over READY");
      becameUp();
    } else if (spec.readiness().isPresent()) {
      probes.awaitReadiness();
    } else if (spec.hasReadiness() && handedOverState.isPresent()) { // not ready yet: READY=1 is still to come
      notify.awaitReady();
    } else if (spec.hasReadiness()) {
      // it said READY=1 to the supervisor that died; it will not say it again
      transition(ChildState.READY, null, "adopted; ready under the previous supervisor");
      becameUp();
    } else {
      becameUp();
    }
  }
}
