package dev.supervisor.internal.engine;

import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.ChildView;
import dev.supervisor.Durations;
import dev.supervisor.ExitStatus;
import dev.supervisor.RestartDecision;
import dev.supervisor.RunRecord;
import dev.supervisor.Supervisor;
import dev.supervisor.event.ChildGaveUp;
import dev.supervisor.event.ChildStartFailed;
import dev.supervisor.event.ChildStateChanged;
import dev.supervisor.event.RestartScheduled;
import dev.supervisor.persist.PersistedState;
import dev.supervisor.persist.ProcessSignature;
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
 * The state machine of one child. Every method runs on the supervisor's event thread (the
 * "loop"); the only state read from other threads is the volatile {@link #snapshot}.
 */
final class ChildRunner {
  private static final Logger log = LoggerFactory.getLogger(ChildRunner.class);

  /** Why a live run is being terminated. */
  enum StopPurpose {
    OPERATOR_STOP(true),
    OPERATOR_RESTART(true),
    STRATEGY(true),
    SHUTDOWN(true),
    /** A failed health check or readiness timeout: the exit is a failure. */
    UNHEALTHY(false);

    final boolean requested;

    StopPurpose(boolean requested) {
      this.requested = requested;
    }
  }

  /** What other threads may read: one consistent view of this child. */
  record Snapshot(ChildState state, OptionalLong pid, long runId, Optional<Instant> startedAt, int restarts,
      Optional<ExitStatus> lastExit, Optional<Instant> lastExitAt, Optional<Instant> nextRestartAt,
      Optional<String> reason, boolean desiredRunning, Optional<ProcessSignature> process, int consecutiveFailures,
      Optional<String> statusText, Optional<Path> cgroup) {

    PersistedState.Child toPersisted(String name) {
      return new PersistedState.Child(name, desiredRunning, state.name(), process, runId, restarts, consecutiveFailures,
          lastExit, state == ChildState.FATAL, reason, cgroup.map(Path::toString));
    }
  }

  volatile ChildSpec spec; // replaced only by a reload, while the child is not alive
  volatile int index; // start order position; a reload renumbers
  private final Engine engine;
  private volatile Path logFile;

  // ---- loop-confined state
  /** Written on the loop only; volatile because forceKill() reads it from the closing thread when the loop may be stuck. */
  private volatile ChildState state = ChildState.STOPPED;
  /** Written by the caller's thread on operator commands (so awaitHealthy sees the intent at once) and by the loop. */
  private volatile boolean desiredRunning = true;
  /** As {@link #state}: written on the loop, read by forceKill() from the closing thread. */
  private volatile LaunchedProcess handle;
  private ProcessSignature signature;
  private boolean adopted;
  /** Set by a hand-over: the process is left to a successor, and nothing of this runner acts again. */
  private boolean detached;
  private long runId;
  private Instant startedAt;
  private boolean currentRunAutomatic;
  private boolean nextStartAutomatic;
  private int restarts;
  private ExitStatus lastExit;
  private Instant lastExitAt;
  private Instant nextRestartAt;
  private String reason;
  private final RunHistory history = new RunHistory();
  private TimerClock.Timer backoffTimer;
  private TimerClock.Timer graceTimer;
  private final Probes probes;
  private StopPurpose stopPurpose;
  private String unhealthyReason;
  private Instant graceDeadline;
  private GroupRestart group;
  /** Its side of the notify protocol, when it uses it. */
  final NotifyProtocol notify;
  /** Scaled away: hidden from status and specs, stopped, kept for a later scale up. */
  volatile boolean retired;
  /** Its file-watch restarts. */
  final WatchDebounce watch;
  /** becameUp() ran for the current run (probes and the watchdog are armed once per run). */
  private boolean upThisRun;
  /** Sampled from /proc while the run lives (see {@link #sample}); reset at each spawn. */
  private final RunSampler sampler = new RunSampler();
  /** Set while a crash found by recovery is decided: the supervisor's own downtime served as its backoff. */
  private boolean recovering;
  /** The inode of the log file the current run writes (set at the spawn; read by the log checks). */
  volatile Object logFileKey;
  /** Check the log at the next round, whatever its schedule (a spawn reopened a log that had a fault). */
  volatile boolean logCheckDue;

  volatile Snapshot snapshot;

  /** A reload (loop thread, child not alive): the next start runs {@code next}. */
  void respec(ChildSpec next, Path nextLogFile) {
    spec = next;
    logFile = nextLogFile;
  }

  ChildRunner(Engine engine, ChildSpec spec, int index, Path logFile) {
    this.engine = engine;
    this.spec = spec;
    this.index = index;
    this.logFile = logFile;
    this.probes = new Probes(engine, this);
    this.notify = new NotifyProtocol(engine, this);
    this.watch = new WatchDebounce(engine, this);
    publish();
  }

  String name() {
    return spec.name();
  }

  ChildSpec spec() {
    return spec;
  }

  /** What a probe sees of the current run. */
  ChildView view() {
    return new ChildView(spec, handle.pid(), runId, logFile());
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

  /** Operator commands accepted but not yet run by the loop: the snapshot is about to change. */
  final java.util.concurrent.atomic.AtomicInteger pendingCommands = new java.util.concurrent.atomic.AtomicInteger();

  /** Records the operator's intent before the command reaches the loop. */
  void setDesiredRunning(boolean desired) {
    desiredRunning = desired;
  }

  Optional<Path> logFile() {
    return Optional.ofNullable(logFile);
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
    Snapshot now = snapshot;
    return now.runId() > runBefore && pendingCommands.get() == 0
        && (now.state() == ChildState.READY || (now.state() == ChildState.RUNNING && !spec.hasReadiness()));
  }

  /** What it must become to count as up: READY with readiness, else RUNNING. */
  String upState() {
    return spec.hasReadiness() ? "READY" : "RUNNING";
  }

  GroupRestart group() {
    return group;
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
    sampler.reset();
    notify.newRun();
    upThisRun = false;
    currentRunAutomatic = nextStartAutomatic;
    if (currentRunAutomatic) {
      restarts++;
    }
    String unusable = prepareFiles();
    if (unusable != null) {
      startFailed(unusable);
      return;
    }
    Map<String, String> env = notify.environment(spec.effectiveEnv(engine.hostEnv()));
    LaunchedProcess p;
    try {
      p = engine.launcher().launch(new LaunchRequest(spec, runId, env, logFile(), engine.parentDeathSignal()));
    } catch (IOException | RuntimeException e) {
      startFailed(e.getMessage() == null ? e.toString() : e.getMessage());
      return;
    }
    handle = p;
    signature = p.signature().orElse(null);
    adopted = false;
    stopPurpose = null;
    unhealthyReason = null;
    long myRun = runId;
    watchExit(myRun, p);
    transition(ChildState.RUNNING, null, null);
    if (spec.readiness().isPresent()) {
      probes.awaitReadiness();
    } else if (spec.hasReadiness()) { // READY=1 over the notify socket
      notify.awaitReady();
    } else {
      becameUp();
    }
  }

  /**
   * What the spawn needs from the home, made again if it went away: the log file (its directory
   * created again, the file opened here so that a failure names the file rather than the program
   * being started) and the notify socket. Returns why the child cannot start, or null.
   */
  private String prepareFiles() {
    if (logFile != null) {
      try {
        dev.supervisor.internal.LogFiles.Opened opened = dev.supervisor.internal.LogFiles.open(logFile);
        if (opened.createdDirectory()) {
          log.warn("log directory {} was missing: created it again (mode 0700)", logFile.toAbsolutePath().getParent());
        }
        logFileKey = opened.fileKey();
        if (engine.logFaults().of(name()).isPresent()) {
          logCheckDue = true; // the next check may clear it
        }
      } catch (IOException e) {
        String why = "log file " + logFile + " cannot be opened: " + dev.supervisor.internal.OwnedDirectories.reason(e, logFile);
        engine.logFaults().failed(this, why);
        return why;
      }
    }
    try {
      engine.ensureNotifySocket(this);
    } catch (IOException e) {
      return e.getMessage();
    }
    return null;
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

  // ------------------------------------------------------------------ file watching

  /** A change under a watched path ({@link WatchDebounce}). */
  void watchEvent(Path file) {
    watch.changed(file);
  }

  // ------------------------------------------------------------------ notify protocol

  /** A datagram on this child's notify socket ({@link NotifyProtocol}). */
  void notified(OptionalLong senderPid, OptionalLong senderPgid, String message) {
    notify.received(senderPid, senderPgid, message);
  }

  /** The live run's pid, if it has a process. */
  OptionalLong livePid() {
    LaunchedProcess h = handle;
    return h != null ? OptionalLong.of(h.pid()) : OptionalLong.empty();
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
    Duration grace = spec.stopGrace();
    graceDeadline = engine.now().plus(grace);
    handle.signalGroup(spec.stopSignal().name());
    long myRun = runId;
    graceTimer = engine.schedule(() -> graceExpired(myRun), grace);
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

  private void graceExpired(long myRun) {
    if (myRun != runId || state != ChildState.STOPPING) {
      return;
    }
    log.warn("child '{}' (pid {}) did not stop within {} after SIG{}: sending SIGKILL to its process group{}",
        name(), handle.pid(), Durations.format(spec.stopGrace()), spec.stopSignal(), handle.cgroup().isPresent() ? " and cgroup" : "");
    handle.signalGroup("KILL");
  }

  /** Whether its live process was spawned by this supervisor with a parent-death signal (an adopted one never has one). */
  boolean diesWithParent() {
    return handle != null && state.isAlive() && !adopted;
  }

  /**
   * Hand-over: every timer of this runner ends and its process is left alone (not signalled, its
   * cgroup kept), for a successor to adopt. Returns the pid left running, if any.
   */
  OptionalLong detach() {
    detached = true;
    cancelTimer(backoffTimer);
    cancelTimer(graceTimer);
    probes.cancel();
    watch.cancel();
    notify.cancel();
    LaunchedProcess h = handle;
    if (h != null) {
      h.stopWatching();
    }
    return h != null && state.isAlive() ? OptionalLong.of(h.pid()) : OptionalLong.empty();
  }

  /** SIGKILL to the group now, without a grace (used when shutdown times out). */
  void forceKill() {
    LaunchedProcess h = handle; // one read: the loop may replace it meanwhile
    if (h != null && state.isAlive()) {
      h.killGroupAndWait();
    }
  }

  // ------------------------------------------------------------------ exits

  /** Why an exit future failed, in words (a launcher's exit future that fails, rather than a made-up exit code). */
  private static String unobserved(Throwable err) {
    Throwable t = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
    return t == null ? "no exit value" : t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }

  /** The one way an exit reaches the state machine: spawned and adopted processes alike. */
  private void watchExit(long myRun, LaunchedProcess p) {
    p.onExit().whenCompleteAsync((value, err) -> onExit(myRun, p, value != null ? ExitStatus.fromExitValue(value)
        : ExitStatus.unknown("its exit could not be observed: " + unobserved(err))), engine.loop());
  }

  private void onExit(long myRun, LaunchedProcess p, ExitStatus observed) {
    if (myRun != runId || detached) {
      return;
    }
    probes.cancel();
    notify.cancel();
    ExitStatus exit = observed;
    if (state == ChildState.STOPPING && stopPurpose != null) {
      if (stopPurpose.requested) {
        exit = exit.asRequested();
      } else if (unhealthyReason != null) {
        exit = exit.withReason(unhealthyReason);
      }
      if (stopPurpose.requested) {
        awaitGroupEmpty(myRun, p, exit, false);
        return;
      }
    }
    cancelTimer(graceTimer);
    if (adopted) {
      // seen gone up to 200 ms late, by its start time: its pid may name another process by now,
      // so nothing is signalled by pid; release() still kills what is left in its own cgroup
      engine.io().execute(p::release);
      runEnded(exit);
      return;
    }
    // Leftover grandchildren of a crashed child: SIGKILL them (its whole cgroup) off the hot path.
    engine.io().execute(() -> {
      List<Long> left = p.groupMembers();
      if (!left.isEmpty()) {
        log.warn("child '{}' exited but its processes {} remain ({}): killing them", name(), left,
            p.cgroup().map(c -> "cgroup " + c).orElse("process group " + p.pid()));
        p.signalGroup("KILL");
      }
      p.release();
    });
    runEnded(exit);
  }

  /** During a requested stop, the leader is gone: wait for the rest of its group (grace, then SIGKILL). */
  private void awaitGroupEmpty(long myRun, LaunchedProcess p, ExitStatus exit, boolean killed) {
    engine.io().execute(() -> {
      boolean members = !p.groupMembers().isEmpty();
      if (!members) {
        p.release(); // its cgroup goes before the child counts as stopped
      }
      engine.loop().execute(() -> {
        if (myRun != runId || state != ChildState.STOPPING) {
          return;
        }
        if (!members) {
          cancelTimer(graceTimer);
          runEnded(exit);
          return;
        }
        boolean kill = killed;
        if (!killed && !engine.now().isBefore(graceDeadline)) {
          log.warn("child '{}' exited but processes of its {} remain after the grace period: SIGKILL", name(),
              p.cgroup().map(c -> "cgroup " + c).orElse("group " + p.pid()));
          p.signalGroup("KILL");
          kill = true;
        }
        boolean k = kill;
        engine.poll(() -> awaitGroupEmpty(myRun, p, exit, k), Duration.ofMillis(20));
      });
    });
  }

  /** A run is over (exit observed, or the start failed): record it and decide what comes next. */
  private void runEnded(ExitStatus exit) {
    Instant now = engine.now();
    handle = null;
    signature = null;
    adopted = false;
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
          sampler.peakRss(), sampler.cpu(), decision);
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

  /** Samples the live run's cpu time and rss ({@link RunSampler}). */
  void sample(Instant now) {
    if (handle != null && state.isAlive() && startedAt != null) {
      sampler.sample(handle.pid(), now);
    }
  }

  // ------------------------------------------------------------------ plumbing

  private void cancelTimer(TimerClock.Timer f) {
    if (f != null) {
      f.cancel();
    }
  }

  /** Tests run with it: a transition outside ChildState's table fails them; in production it is logged as a bug. */
  private static final boolean STRICT_STATES = Boolean.getBoolean("supervisor.strictStates");

  private void transition(ChildState to, ExitStatus exit, String why) {
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
    OptionalLong pid = handle != null ? OptionalLong.of(handle.pid()) : OptionalLong.empty();
    publish();
    log.debug("child '{}' run {}: {} -> {}{}", name(), runId, from, to, why == null ? "" : " (" + why + ")");
    engine.emit(new ChildStateChanged(engine.now(), name(), runId, pid, from, to, Optional.ofNullable(exit), Optional.ofNullable(why)));
  }

  private void publish() {
    snapshot = new Snapshot(state,
        handle != null ? OptionalLong.of(handle.pid()) : OptionalLong.empty(),
        runId,
        handle != null ? Optional.ofNullable(startedAt) : Optional.empty(),
        restarts,
        Optional.ofNullable(lastExit),
        Optional.ofNullable(lastExitAt),
        Optional.ofNullable(nextRestartAt),
        Optional.ofNullable(reason),
        desiredRunning,
        Optional.ofNullable(signature),
        history.consecutiveFailures(),
        notify.statusText(),
        handle != null ? handle.cgroup() : Optional.empty());
    engine.changed();
  }

  // ------------------------------------------------------------------ recovery

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
   * when its status cannot be read (not our child) its end is recorded as UNKNOWN and handled as
   * a failure.
   *
   * @param handedOverState the state the previous supervisor saved when it handed the child over
   *     ({@link Supervisor#handOver}), empty after a crash. A child handed over READY is READY at
   *     once; one handed over before it was ready is waited for as at a start (its probe, or
   *     {@code READY=1} on the same notify socket path within its timeout). After a crash nobody
   *     knows: a notify child is taken as READY, since it will not say so again.
   */
  void adopt(LaunchedProcess p, Optional<String> handedOverState) {
    handle = p;
    signature = p.signature().orElse(null);
    adopted = true;
    startedAt = p.startedAt().orElse(engine.now());
    stopPurpose = null;
    upThisRun = false;
    notify.newRun();
    long myRun = runId;
    watchExit(myRun, p);
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
