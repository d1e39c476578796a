package dev.supervisor;

import dev.supervisor.event.ChildGaveUp;
import dev.supervisor.event.ChildStartFailed;
import dev.supervisor.event.ChildStateChanged;
import dev.supervisor.event.HealthCheckFailed;
import dev.supervisor.event.RestartScheduled;
import dev.supervisor.internal.ProcStat;
import dev.supervisor.internal.ProcessGroups;
import dev.supervisor.internal.SystemProcessLauncher;
import dev.supervisor.persist.PersistedState;
import dev.supervisor.persist.ProcessSignature;
import dev.supervisor.spi.LaunchRequest;
import dev.supervisor.spi.LaunchedProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
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
  private final Supervisor sup;
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
  private final Deque<RunRecord> history = new ArrayDeque<>();
  private final Deque<Instant> recentRestarts = new ArrayDeque<>();
  private ScheduledFuture<?> backoffTimer;
  private ScheduledFuture<?> graceTimer;
  private ScheduledFuture<?> probeTimer;
  private StopPurpose stopPurpose;
  private String unhealthyReason;
  private Instant graceDeadline;
  private int healthFailures;
  private GroupRestart group;
  private Instant readinessDeadline;
  /** The child's notify socket, when it uses the protocol (set by the supervisor before the start). */
  volatile Path notifySocket;
  /** The latest {@code STATUS=} text of the current run. */
  private String statusText;
  private Instant lastWatchdogAt;
  private Duration watchdogInterval;
  private ScheduledFuture<?> watchdogTimer;
  private ScheduledFuture<?> notifyReadyTimer;
  /** The child said {@code STOPPING=1}: its watchdog is off for the rest of the run. */
  private boolean stoppingNotified;
  private boolean warnedForeignSender;
  /** Scaled away: hidden from status and specs, stopped, kept for a later scale up. */
  volatile boolean retired;
  /** File watching on (a child with a watch starts with it on). */
  volatile boolean watchEnabled = true;
  private Path watchTrigger;
  private ScheduledFuture<?> watchTimer;
  /** becameUp() ran for the current run (probes and the watchdog are armed once per run). */
  private boolean upThisRun;
  /** Sampled from /proc while the run lives (see {@link #sample}); reset at each spawn. */
  private long peakRss = -1;
  private Duration cpuSample;
  private Instant lastSampleAt;
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

  ChildRunner(Supervisor sup, ChildSpec spec, int index, Path logFile) {
    this.sup = sup;
    this.spec = spec;
    this.index = index;
    this.logFile = logFile;
    publish();
  }

  String name() {
    return spec.name();
  }

  ChildState state() {
    return state;
  }

  long runId() {
    return runId;
  }

  /** The recent runs, oldest first (loop thread only). */
  List<RunRecord> history() {
    return List.copyOf(history);
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
        clearHistory();
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
    if (sup.isShuttingDown() || !desiredRunning) {
      return;
    }
    if (!automatic) {
      sup.breaker().left(this); // an operator start goes ahead of the breaker
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
    if (state != ChildState.STARTING || sup.isShuttingDown()) {
      return;
    }
    for (String dep : spec.dependsOn()) {
      if (!sup.runner(dep).isUp()) {
        String why = "waiting for " + dep + " (" + sup.runner(dep).state() + ")";
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
    startedAt = sup.now();
    peakRss = -1;
    cpuSample = null;
    lastSampleAt = null;
    statusText = null;
    stoppingNotified = false;
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
    Map<String, String> env = spec.effectiveEnv(sup.hostEnv());
    if (notifySocket != null) {
      env = new java.util.LinkedHashMap<>(env);
      env.put("NOTIFY_SOCKET", notifySocket.toString());
      Optional<Duration> wd = spec.notifySettings().flatMap(ChildSpec.Notify::watchdog);
      if (wd.isPresent()) {
        env.put("WATCHDOG_USEC", Long.toString(wd.get().toNanos() / 1000));
      }
    }
    LaunchedProcess p;
    try {
      p = sup.launcher().launch(new LaunchRequest(spec, runId, env, logFile(), sup.parentDeathSignal()));
    } catch (IOException | RuntimeException e) {
      startFailed(e.getMessage() == null ? e.toString() : e.getMessage());
      return;
    }
    handle = p;
    signature = p.signature().orElse(null);
    adopted = false;
    healthFailures = 0;
    stopPurpose = null;
    unhealthyReason = null;
    long myRun = runId;
    p.onExit().whenCompleteAsync((value, err) -> onExit(myRun, p, value != null ? ExitStatus.fromExitValue(value)
        : ExitStatus.unknown("its exit could not be observed: " + unobserved(err))), sup.loopExecutor());
    transition(ChildState.RUNNING, null, null);
    if (spec.readiness().isPresent()) {
      readinessDeadline = sup.now().plus(spec.readiness().get().timeout());
      scheduleProbe(spec.readiness().get().interval());
    } else if (spec.hasReadiness()) { // READY=1 over the notify socket
      Duration timeout = spec.notifySettings().get().readyTimeout();
      notifyReadyTimer = sup.schedule(() -> notifyReadyMissed(myRun, timeout), timeout);
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
        if (sup.logFaults().of(name()).isPresent()) {
          logCheckDue = true; // the next check may clear it
        }
      } catch (IOException e) {
        String why = "log file " + logFile + " cannot be opened: " + dev.supervisor.internal.OwnedDirectories.reason(e, logFile);
        sup.logFaults().failed(this, why);
        return why;
      }
    }
    try {
      sup.ensureNotifySocket(this);
    } catch (IOException e) {
      return e.getMessage();
    }
    return null;
  }

  private void startFailed(String why) {
    log.error("child '{}' could not start: {}", name(), why);
    sup.emit(new ChildStartFailed(sup.now(), name(), runId, why));
    runEnded(ExitStatus.startFailed(why));
  }

  private void becameUp() {
    if (upThisRun) { // READY again after RELOADING=1 or STOPPING=1: only the dependents may care
      sup.childUp(this);
      return;
    }
    upThisRun = true;
    sup.breaker().up(this, runId);
    Optional<Duration> wd = spec.notifySettings().flatMap(ChildSpec.Notify::watchdog);
    if (wd.isPresent() && watchdogTimer == null) {
      watchdogInterval = wd.get();
      lastWatchdogAt = sup.now();
      long myRun = runId;
      watchdogTimer = sup.schedule(() -> watchdogCheck(myRun), watchdogInterval);
    }
    spec.health().ifPresent(h -> scheduleProbe(h.startGrace()));
    sup.childUp(this);
  }

  // ------------------------------------------------------------------ probes

  private void scheduleProbe(Duration delay) {
    long myRun = runId;
    probeTimer = sup.schedule(() -> runProbe(myRun), delay);
  }

  private void runProbe(long myRun) {
    if (myRun != runId || !(state == ChildState.RUNNING || state == ChildState.READY)) {
      return;
    }
    boolean readiness = state == ChildState.RUNNING && spec.readiness().isPresent();
    HealthCheck check = readiness ? spec.readiness().get().probe() : spec.health().get().check();
    Duration timeout = readiness ? spec.readiness().get().timeout() : spec.health().get().every();
    ChildView view = new ChildView(spec, handle.pid(), myRun, logFile());
    CompletableFuture.supplyAsync(() -> {
          try {
            return check.check(view);
          } catch (Exception e) {
            return HealthResult.unhealthy(e.getClass().getSimpleName() + ": " + e.getMessage());
          }
        }, sup.probeExecutor())
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .whenCompleteAsync((result, err) -> {
          HealthResult r = result != null ? result
              : HealthResult.unhealthy(err instanceof java.util.concurrent.TimeoutException
                  ? "check did not answer within " + Durations.format(timeout) : String.valueOf(err));
          probeDone(myRun, readiness, r);
        }, sup.loopExecutor());
  }

  private void probeDone(long myRun, boolean readiness, HealthResult r) {
    if (myRun != runId || !(state == ChildState.RUNNING || state == ChildState.READY)) {
      return;
    }
    if (readiness) {
      if (r.passed()) {
        transition(ChildState.READY, null, null);
        becameUp();
      } else if (!sup.now().isBefore(readinessDeadline)) {
        String why = "not ready within " + Durations.format(spec.readiness().get().timeout()) + ": " + r.message();
        sup.emit(new HealthCheckFailed(sup.now(), name(), runId, 1, 1, why));
        beginStop(StopPurpose.UNHEALTHY, why);
      } else {
        scheduleProbe(spec.readiness().get().interval());
      }
      return;
    }
    ChildSpec.Health h = spec.health().get();
    if (r.passed()) {
      healthFailures = 0;
    } else {
      healthFailures++;
      sup.emit(new HealthCheckFailed(sup.now(), name(), runId, healthFailures, h.failuresToRestart(), r.message()));
      log.warn("child '{}' health check failed ({} of {}): {}", name(), healthFailures, h.failuresToRestart(), r.message());
      if (healthFailures >= h.failuresToRestart()) {
        beginStop(StopPurpose.UNHEALTHY, "health check failed " + healthFailures + " times: " + r.message());
        return;
      }
    }
    scheduleProbe(h.every());
  }

  // ------------------------------------------------------------------ file watching

  /** A change under a watched path: restart once the debounce passes with no further change. */
  void watchEvent(Path file) {
    if (!watchEnabled || !desiredRunning || sup.isShuttingDown() || !(state == ChildState.RUNNING || state == ChildState.READY)) {
      return;
    }
    watchTrigger = file;
    cancelTimer(watchTimer);
    long myRun = runId;
    watchTimer = sup.schedule(() -> watchDue(myRun), spec.watch().get().debounce());
  }

  private void watchDue(long myRun) {
    watchTimer = null;
    if (myRun != runId || !watchEnabled || !(state == ChildState.RUNNING || state == ChildState.READY)) {
      return;
    }
    log.info("child '{}': {} changed; restarting it (watch)", name(), watchTrigger);
    sup.emit(new dev.supervisor.event.WatchTriggered(sup.now(), name(), watchTrigger));
    operatorRestart();
  }

  // ------------------------------------------------------------------ notify protocol

  private void cancelNotifyTimers() {
    cancelTimer(watchdogTimer);
    watchdogTimer = null;
    cancelTimer(notifyReadyTimer);
    notifyReadyTimer = null;
  }

  private void notifyReadyMissed(long myRun, Duration timeout) {
    notifyReadyTimer = null;
    if (myRun != runId || state != ChildState.RUNNING) {
      return;
    }
    hung("no READY=1 on its notify socket within " + Durations.format(timeout));
  }

  private void watchdogCheck(long myRun) {
    watchdogTimer = null;
    if (myRun != runId || !(state == ChildState.RUNNING || state == ChildState.READY) || stoppingNotified) {
      return;
    }
    Instant due = lastWatchdogAt.plus(watchdogInterval);
    Instant now = sup.now();
    if (now.isBefore(due)) {
      watchdogTimer = sup.schedule(() -> watchdogCheck(myRun), Duration.between(now, due));
      return;
    }
    hung("watchdog: no WATCHDOG=1 within " + Durations.format(watchdogInterval) + " (hung)");
  }

  private void hung(String why) {
    log.warn("child '{}' (run {}): {}; killing it", name(), runId, why);
    sup.emit(new HealthCheckFailed(sup.now(), name(), runId, 1, 1, why));
    beginStop(StopPurpose.UNHEALTHY, why);
  }

  /**
   * A datagram on this child's notify socket. With the sender's pid known, a process outside the
   * child's process group cannot speak for it.
   */
  void notified(OptionalLong senderPid, OptionalLong senderPgid, String message) {
    if (handle == null || !(state == ChildState.RUNNING || state == ChildState.READY)) {
      return;
    }
    if (senderPid.isPresent()) {
      long pid = senderPid.getAsLong();
      if (senderPgid.isEmpty()) { // as systemd's NotifyAccess: a sender gone before it was read cannot be attributed
        log.debug("child '{}': ignored a notify message from pid {}, which exited before it could be checked ({})", name(), pid,
            message.replace('\n', ' '));
        return;
      }
      long pgid = senderPgid.getAsLong();
      if (pid != handle.pid() && pgid != handle.pid()) {
        if (!warnedForeignSender) {
          warnedForeignSender = true;
          log.warn("child '{}': ignored a notify message from pid {}, which is not in its process group {} ({})", name(), pid,
              handle.pid(), message.replace('\n', ' '));
        }
        return;
      }
    }
    boolean changed = false;
    for (String line : message.split("\n")) {
      int eq = line.indexOf('=');
      if (eq <= 0) {
        continue;
      }
      String key = line.substring(0, eq);
      String value = line.substring(eq + 1);
      switch (key) {
        case "READY":
          if (value.equals("1") && state == ChildState.RUNNING && spec.hasReadiness() && spec.readiness().isEmpty()) {
            cancelTimer(notifyReadyTimer);
            notifyReadyTimer = null;
            stoppingNotified = false;
            transition(ChildState.READY, null, null);
            becameUp();
          }
          break;
        case "STATUS":
          statusText = value.length() > 512 ? value.substring(0, 512) : value;
          changed = true;
          break;
        case "WATCHDOG":
          if (value.equals("1")) {
            lastWatchdogAt = sup.now();
          } else if (value.equals("trigger") && watchdogInterval != null) {
            hung("watchdog: the child asked for it (WATCHDOG=trigger)");
            return;
          }
          break;
        case "WATCHDOG_USEC":
          try {
            long usec = Long.parseLong(value.trim());
            if (usec > 0 && watchdogInterval != null) {
              watchdogInterval = Duration.ofNanos(usec * 1000);
            }
          } catch (NumberFormatException e) {
            log.debug("child '{}': ignoring WATCHDOG_USEC={}", name(), value);
          }
          break;
        case "RELOADING":
        case "STOPPING":
          if (value.equals("1")) {
            boolean stopping = key.equals("STOPPING");
            stoppingNotified |= stopping;
            String why = stopping ? "stopping on its own (STOPPING=1)" : "reloading (RELOADING=1)";
            if (state == ChildState.READY && spec.hasReadiness()) {
              transition(ChildState.RUNNING, null, why); // not ready until READY=1 again
            } else {
              reason = why;
              changed = true;
            }
          }
          break;
        default:
          break; // MAINPID, BARRIER (its descriptor is closed by the socket), ERRNO, ...
      }
    }
    if (changed) {
      publish();
    }
  }

  // ------------------------------------------------------------------ stopping

  /** Sends the stop signal to the process group and arms the grace timer. */
  void beginStop(StopPurpose purpose, String why) {
    if (!(state == ChildState.RUNNING || state == ChildState.READY)) {
      return;
    }
    stopPurpose = purpose;
    unhealthyReason = purpose == StopPurpose.UNHEALTHY ? why : null;
    cancelTimer(probeTimer);
    cancelNotifyTimers();
    transition(ChildState.STOPPING, null, why);
    Duration grace = spec.stopGrace();
    graceDeadline = sup.now().plus(grace);
    handle.signalGroup(spec.stopSignal().name());
    long myRun = runId;
    graceTimer = sup.schedule(() -> graceExpired(myRun), grace);
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
    cancelTimer(probeTimer);
    cancelTimer(watchTimer);
    cancelNotifyTimers();
    return handle != null && state.isAlive() ? OptionalLong.of(handle.pid()) : OptionalLong.empty();
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

  private void onExit(long myRun, LaunchedProcess p, ExitStatus observed) {
    if (myRun != runId || detached) {
      return;
    }
    cancelTimer(probeTimer);
    cancelNotifyTimers();
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
    // Leftover grandchildren of a crashed child: SIGKILL them (its whole cgroup) off the hot path.
    sup.ioExecutor().execute(() -> {
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
    sup.ioExecutor().execute(() -> {
      boolean members = !p.groupMembers().isEmpty();
      if (!members) {
        p.release(); // its cgroup goes before the child counts as stopped
      }
      sup.loopExecutor().execute(() -> {
        if (myRun != runId || state != ChildState.STOPPING) {
          return;
        }
        if (!members) {
          cancelTimer(graceTimer);
          runEnded(exit);
          return;
        }
        boolean kill = killed;
        if (!killed && !sup.now().isBefore(graceDeadline)) {
          log.warn("child '{}' exited but processes of its {} remain after the grace period: SIGKILL", name(),
              p.cgroup().map(c -> "cgroup " + c).orElse("group " + p.pid()));
          p.signalGroup("KILL");
          kill = true;
        }
        boolean k = kill;
        sup.schedule(() -> awaitGroupEmpty(myRun, p, exit, k), Duration.ofMillis(20));
      });
    });
  }

  /** A run is over (exit observed, or the start failed): record it and decide what comes next. */
  private void runEnded(ExitStatus exit) {
    Instant now = sup.now();
    handle = null;
    signature = null;
    adopted = false;
    lastExit = exit;
    lastExitAt = now;
    history.addLast(new RunRecord(runId, startedAt == null ? now : startedAt, now, exit, currentRunAutomatic));
    while (history.size() > RestartContext.HISTORY_LIMIT) {
      history.removeFirst();
    }
    StopPurpose purpose = stopPurpose;
    stopPurpose = null;
    if (sup.isShuttingDown()) {
      transition(ChildState.STOPPED, exit, null);
      sup.childSettled(this);
      return;
    }
    if (purpose != null && purpose.requested) {
      switch (purpose) {
        case OPERATOR_RESTART:
          transition(ChildState.STOPPED, exit, "restart requested");
          clearHistory();
          requestStart(false);
          return;
        case STRATEGY:
          transition(ChildState.BACKOFF, exit, "stopped by the " + sup.strategy() + " strategy, restarting with its group");
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
      sup.breaker().crashed(this, now);
    }
    Duration uptime = startedAt == null ? Duration.ZERO : Duration.between(startedAt, now);
    RestartDecision decision;
    RestartContext ctx = RestartContext.of(name(), now, List.copyOf(history), List.copyOf(recentRestarts));
    try {
      decision = spec.restartPolicy().decide(ctx);
      if (decision == null) {
        decision = RestartDecision.giveUp("restart policy " + spec.restartPolicy() + " returned null");
      }
    } catch (RuntimeException e) {
      log.error("restart policy of child '{}' threw; giving up on the child", name(), e);
      decision = RestartDecision.giveUp("restart policy threw " + e);
    }
    if (exit.isFailure()) {
      sup.recordIncident(this, now, runId, exit, uptime.isNegative() ? Duration.ZERO : uptime,
          peakRss < 0 ? OptionalLong.empty() : OptionalLong.of(peakRss), Optional.ofNullable(cpuSample), decision);
    }
    switch (decision.action()) {
      case RESTART:
        log.info("child '{}' (run {}) ended with {}: {}", name(), runId, exit, decision.reason());
        sup.restartWithStrategy(this, exit, recovering ? Duration.ZERO : decision.delay().get(), decision.reason());
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
        sup.emit(new ChildGaveUp(now, name(), runId, decision.reason()));
        break;
    }
  }

  /** Enters BACKOFF and starts again after {@code delay} (ONE_FOR_ONE, and the exited child of a group). */
  void scheduleRestart(ExitStatus exit, Duration delay, String why, Runnable whenDue) {
    recordAutomaticRestart();
    nextRestartAt = sup.now().plus(delay);
    transition(ChildState.BACKOFF, exit, why);
    sup.emit(new RestartScheduled(sup.now(), name(), runId, delay, why));
    Runnable due = () -> {
      if (sup.breaker().hold(this, whenDue)) {
        nextRestartAt = null;
        reason = sup.breaker().heldReason();
        publish();
      } else {
        whenDue.run();
      }
    };
    if (delay.isZero()) {
      due.run();
    } else {
      backoffTimer = sup.schedule(due, delay);
    }
  }

  private void recordAutomaticRestart() {
    recentRestarts.addLast(sup.now());
    while (recentRestarts.size() > RestartContext.HISTORY_LIMIT) {
      recentRestarts.removeFirst();
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
        beginStop(StopPurpose.STRATEGY, "restarting with " + g.cause() + " (" + sup.strategy() + ")");
        return true;
      case STARTING:
      case BACKOFF:
        group = g;
        cancelTimer(backoffTimer);
        nextRestartAt = null;
        if (state != ChildState.BACKOFF) {
          transition(ChildState.BACKOFF, null, "restarting with " + g.cause() + " (" + sup.strategy() + ")");
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

  /**
   * Samples cpu time and rss of the live process from its stat line (one small read): within a
   * second of the start, then every 30 s, so incidents of short and long runs both carry
   * figures while 500 idle children cost well under 1 % of a core.
   */
  void sample(Instant now) {
    if (handle == null || !state.isAlive() || startedAt == null) {
      return;
    }
    if (lastSampleAt != null && Duration.between(lastSampleAt, now).compareTo(Duration.ofSeconds(30)) < 0) {
      return;
    }
    lastSampleAt = now;
    ProcStat.read(handle.pid()).ifPresent(st -> {
      cpuSample = st.cpuTime();
      peakRss = Math.max(peakRss, st.rssBytes());
    });
  }

  // ------------------------------------------------------------------ plumbing

  private void clearHistory() {
    history.clear();
    recentRestarts.clear();
  }

  private void cancelTimer(ScheduledFuture<?> f) {
    if (f != null) {
      f.cancel(false);
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
      sup.breaker().left(this);
    }
    reason = why;
    if (to != ChildState.BACKOFF) {
      nextRestartAt = null;
    }
    OptionalLong pid = handle != null ? OptionalLong.of(handle.pid()) : OptionalLong.empty();
    publish();
    log.debug("child '{}' run {}: {} -> {}{}", name(), runId, from, to, why == null ? "" : " (" + why + ")");
    sup.emit(new ChildStateChanged(sup.now(), name(), runId, pid, from, to, Optional.ofNullable(exit), Optional.ofNullable(why)));
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
        consecutiveFailures(),
        Optional.ofNullable(statusText),
        handle != null ? handle.cgroup() : Optional.empty());
    sup.changed();
  }

  /** Un-requested exits at the end of the history. */
  private int consecutiveFailures() {
    int n = 0;
    for (java.util.Iterator<RunRecord> it = history.descendingIterator(); it.hasNext(); ) {
      if (!it.next().exit().isFailure()) {
        break;
      }
      n++;
    }
    return n;
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
   * Re-attaches a live orphan of a crashed supervisor. Its exit code cannot be observed (it is not
   * our child), so its end is recorded as UNKNOWN and handled as a failure; it is noticed by a
   * {@code /proc} check every 200 ms.
   *
   * @param handedOverState the state the previous supervisor saved when it handed the child over
   *     ({@link Supervisor#handOver}), empty after a crash. A child handed over READY is READY at
   *     once; one handed over before it was ready is waited for as at a start (its probe, or
   *     {@code READY=1} on the same notify socket path within its timeout). After a crash nobody
   *     knows: a notify child is taken as READY, since it will not say so again.
   */
  void adopt(ProcessSignature orphan, Optional<String> cgroup, Optional<String> handedOverState) {
    Optional<ProcessHandle> h = ProcessHandle.of(orphan.pid());
    if (h.isEmpty() || !orphan.isAlive()) {
      recoveredCrash(sup.now());
      return;
    }
    handle = SystemProcessLauncher.adopted(h.get(), orphan, cgroup);
    signature = orphan;
    adopted = true;
    startedAt = h.get().info().startInstant().orElse(sup.now());
    healthFailures = 0;
    stopPurpose = null;
    upThisRun = false;
    statusText = null;
    stoppingNotified = false;
    long myRun = runId;
    transition(ChildState.RUNNING, null, handedOverState.isPresent() ? "handed over by the previous supervisor"
        : "adopted from a crashed supervisor");
    watchAdopted(runId);
    boolean wasReady = handedOverState.map("READY"::equals).orElse(false);
    if (wasReady && spec.hasReadiness()) {
      transition(ChildState.READY, null, "handed over READY");
      becameUp();
    } else if (spec.readiness().isPresent()) {
      readinessDeadline = sup.now().plus(spec.readiness().get().timeout());
      scheduleProbe(spec.readiness().get().interval());
    } else if (spec.hasReadiness() && handedOverState.isPresent()) { // not ready yet: READY=1 is still to come
      Duration timeout = spec.notifySettings().get().readyTimeout();
      notifyReadyTimer = sup.schedule(() -> notifyReadyMissed(myRun, timeout), timeout);
    } else if (spec.hasReadiness()) {
      // it said READY=1 to the supervisor that died; it will not say it again
      transition(ChildState.READY, null, "adopted; ready under the previous supervisor");
      becameUp();
    } else {
      becameUp();
    }
  }

  private void watchAdopted(long myRun) {
    sup.schedule(() -> {
      if (myRun != runId || !adopted || handle == null || detached) {
        return;
      }
      if (signature.isAlive()) {
        watchAdopted(myRun);
        return;
      }
      adoptedExited(myRun);
    }, Duration.ofMillis(200));
  }

  private void adoptedExited(long myRun) {
    cancelTimer(probeTimer);
    cancelNotifyTimers();
    ExitStatus exit = ExitStatus.unknown("adopted process; its exit status cannot be observed");
    if (state == ChildState.STOPPING && stopPurpose != null) {
      if (stopPurpose.requested) {
        exit = exit.asRequested();
        if (ProcessGroups.groupsSupported() || handle.cgroup().isPresent()) {
          awaitGroupEmpty(myRun, handle, exit, false);
          return;
        }
      } else if (unhealthyReason != null) {
        exit = exit.withReason(unhealthyReason);
      }
    }
    cancelTimer(graceTimer);
    sup.ioExecutor().execute(handle::release); // what it left in its cgroup
    runEnded(exit);
  }
}
