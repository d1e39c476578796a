package dev.supervisor.internal.engine;

import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.ConfigException;
import dev.supervisor.ConfigSource;
import dev.supervisor.Durations;
import dev.supervisor.ExitStatus;
import dev.supervisor.HandOver;
import dev.supervisor.Incident;
import dev.supervisor.LogTail;
import dev.supervisor.OrphanPolicy;
import dev.supervisor.Registration;
import dev.supervisor.ReloadResult;
import dev.supervisor.RestartDecision;
import dev.supervisor.RunRecord;
import dev.supervisor.Strategy;
import dev.supervisor.Supervisor;
import dev.supervisor.SupervisorListener;
import dev.supervisor.SupervisorState;
import dev.supervisor.SupervisorStatus;
import dev.supervisor.event.SupervisorEvent;
import dev.supervisor.event.SupervisorStateChanged;
import dev.supervisor.internal.EventLog;
import dev.supervisor.internal.PrivateFiles;
import dev.supervisor.persist.PersistedState;
import dev.supervisor.persist.PidLock;
import dev.supervisor.persist.ProcessSignature;
import dev.supervisor.persist.StateStore;
import dev.supervisor.spi.TimerClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind {@link Supervisor}: the event loop and its executors, the children in start
 * order, the supervisor's own state, and the {@link Engine} its parts see. The facade forwards
 * every public call here; the rooms (a child's {@link ChildRunner state machine}, {@link
 * Instances}, {@link NotifySockets}, {@link LogRotation}, {@link IncidentRecorder}, {@link
 * ListenerHub}, {@link HealthGate}, {@link StatusReader}, {@link Breaker}, {@link GroupRestart},
 * {@link Recovery}, {@link StateWriter}, {@link Watcher}) hold the jobs split off it. Which thread
 * owns which state: the thread table in {@code docs/DESIGN-NOTES.md}.
 */
public final class EngineCore implements Engine, Commands {
  private static final Logger log = LoggerFactory.getLogger(Supervisor.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final Path home;
  private final Path logDir;
  private final Strategy strategy;
  private final Breaker breaker;
  private final dev.supervisor.spi.ProcessLauncher launcher;
  private Watcher watcher;
  /** What the parts hold: this, seen through the narrow interface. */
  private final Engine engine = this;
  private final NotifySockets notifySockets;
  /** The children whose logs cannot be written now. */
  private final LogFaults logFaults = new LogFaults(engine);
  private final LogRotation rotation = new LogRotation(engine);
  private final ListenerHub listeners = new ListenerHub();
  private final Duration shutdownTimeout;
  private final Duration logCheckInterval;
  private final Clock clock;
  private final boolean shutdownHook;
  private final boolean eventLog;
  private final Map<String, String> hostEnv;
  private final boolean usePidLock;
  private final StateStore stateStore;
  private final OrphanPolicy orphanPolicy;
  private final boolean parentDeathSignal;
  private final Duration stateFlushInterval;
  /** In start order; instances added by scale() are appended (retired ones stay, hidden). */
  private final ChildTable table;
  /** The table's live list, retired children included. */
  private final List<ChildRunner> children;
  private final Reloader reloader;
  private final Scaler scaler;
  /** Instance groups (guarded by monitor). */
  private final Instances instances = new Instances();

  private final EventLoop loop;
  /** The loop's executor. */
  private final Executor loopExecutor;

  private final Object monitor = new Object();
  private volatile SupervisorState state = SupervisorState.NEW;
  private volatile Throwable failureCause;
  private Thread hook;
  private EventLog eventLogWriter;
  private PidLock pidLock;
  private StateWriter stateWriter;
  private volatile ProcessSignature self;
  private volatile Instant startedAt;

  private final Shutdown shutdown;
  private final IncidentRecorder incidents;
  /** Set by handOver(): the final save records it, and the successor adopts every live child. */
  private volatile Instant handedOverAt;

  // loop-confined
  private TimerClock.Timer rotationTimer;
  private TimerClock.Timer sampleTimer;
  private TimerClock.Timer flushTimer;

  public EngineCore(EngineSettings b) {
    this.home = b.home();
    this.logDir = home.resolve("logs");
    this.strategy = b.strategy();
    this.shutdownTimeout = b.shutdownTimeout();
    this.logCheckInterval = b.logCheckInterval();
    this.clock = b.clock();
    this.shutdownHook = b.shutdownHook();
    this.eventLog = b.eventLog();
    this.hostEnv = Map.copyOf(b.hostEnv());
    this.usePidLock = b.pidLock();
    this.stateStore = b.stateStore() != null ? b.stateStore() : StateStore.atomicJsonFile(home.resolve("state.json"));
    this.orphanPolicy = b.orphanPolicy();
    this.parentDeathSignal = b.parentDeathSignal() && b.orphanPolicy() == OrphanPolicy.KILL;
    this.stateFlushInterval = b.stateFlushInterval();
    Instances.Expanded x = Instances.expand(b.children());
    instances.reset(x);
    this.table = new ChildTable(engine, logDir);
    this.children = table.all();
    x.ordered().forEach(table::add);
    this.breaker = new Breaker(engine, b.stormBreaker(), children.size());
    this.launcher = b.launcher();
    int n = INSTANCES.incrementAndGet();
    this.loop = new EventLoop("supervisor-" + n, clock, this::failed);
    this.loopExecutor = loop.executor();
    this.notifySockets = new NotifySockets(home, b.notifySockets(), loopExecutor);
    this.reloader = new Reloader(engine, this, table, instances, notifySockets);
    this.scaler = new Scaler(this, table, instances, notifySockets);
    this.shutdown = new Shutdown(children, new Shutdown.Ending() {
      @Override
      public void began() {
        setState(SupervisorState.STOPPING, null);
        cancelTimers();
      }

      /**
       * The terminal event is queued first and the io thread drained (event log, last rotation),
       * and only then is the terminal state published, so that a caller returning from
       * awaitStopped() finds every file complete.
       */
      @Override
      public void stopped(SupervisorState terminal) {
        rotation.run(true);
        closeDown(terminal, terminal == SupervisorState.FAILED ? String.valueOf(failureCause) : null, true);
      }
    });
    this.incidents = new IncidentRecorder(home.resolve("incidents"), b.incidentsKept(), engine.io());
    for (Map.Entry<SupervisorListener, Executor> e : b.listeners().entrySet()) {
      listeners.add(e.getKey(), e.getValue());
    }
  }

  // =========================================================== lifecycle

  public void startAsync() {
    PersistedState saved;
    synchronized (monitor) {
      if (state != SupervisorState.NEW) {
        throw new IllegalStateException("supervisor is " + state + ": startAsync() may be called once, on a NEW supervisor");
      }
      try {
        dev.supervisor.internal.OwnedDirectories.ensure(logDir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the log directory " + logDir + ": " + e.getMessage()
            + "; fix its permissions or choose another home", e);
      }
      if (usePidLock) {
        try {
          pidLock = PidLock.acquire(PidLock.fileOf(home));
        } catch (IOException e) {
          throw new UncheckedIOException("cannot take the lock " + PidLock.fileOf(home) + ": " + e.getMessage(), e);
        }
      }
      PrivateFiles.tightenHome(home); // what an older version or a loose umask left readable: one WARN line if any
      try {
        saved = stateStore.load().orElse(null);
      } catch (IOException e) {
        releaseLock();
        throw new UncheckedIOException(e.getMessage(), e);
      }
      try {
        notifySockets.bindAll(children);
        watcher = Watcher.start(engine, children);
      } catch (IOException e) {
        notifySockets.closeAll();
        releaseLock();
        throw new UncheckedIOException(e.getMessage(), e);
      }
      self = ProcessSignature.current();
      startedAt = now();
      stateWriter = new StateWriter(stateStore, this::persistedState, engine, "supervisor-" + INSTANCES.get() + "-state");
      if (eventLog) {
        eventLogWriter = new EventLog(logDir.resolve("supervisor-events.jsonl"));
        listeners.add(eventLogWriter, loop.ioThread());
      }
      setState(SupervisorState.STARTING, null);
    }
    if (shutdownHook) {
      hook = new Thread(this::onJvmShutdown, "supervisor-shutdown-hook");
      Runtime.getRuntime().addShutdownHook(hook);
    }
    loopExecutor.execute(() -> {
      if (saved == null) {
        for (ChildRunner r : children) {
          r.operatorStart();
        }
      } else {
        Recovery.recover(engine, saved, orphanPolicy);
      }
      if (!shutdown.begun()) {
        setState(SupervisorState.RUNNING, null);
      }
      // log sizes and /proc are the real world: looked at in real time; the flush is the engine's own timer
      rotationTimer = loop.everyRealTime(() -> rotation.run(false), logCheckInterval);
      sampleTimer = loop.everyRealTime(this::sampleChildren, Duration.ofSeconds(1));
      flushTimer = loop.every(stateWriter::markDirty, stateFlushInterval);
      stateWriter.enable(); // only now: every child is restored, so no half-recovered state is ever saved
    });
  }

  /** The state to save: one entry per child from its latest published snapshot. */
  private PersistedState persistedState() {
    List<PersistedState.Child> out = new ArrayList<>(children.size());
    for (ChildRunner r : children) {
      if (!r.retired) {
        out.add(r.snapshot.toPersisted(r.name()));
      }
    }
    return new PersistedState(PersistedState.SCHEMA_VERSION, now(), Optional.ofNullable(self), out, Optional.ofNullable(handedOverAt));
  }

  public long stateWrites() {
    StateWriter w = stateWriter;
    return w == null ? 0 : w.writes();
  }

  private void releaseLock() {
    if (pidLock != null) {
      pidLock.close();
      pidLock = null;
    }
  }

  public void awaitHealthy(Duration timeout) throws TimeoutException, InterruptedException {
    notOnLoop("awaitHealthy");
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (monitor) {
      while (true) {
        String blocker = HealthGate.blocker(children, state, failureCause());
        if (blocker == null) {
          return;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException("children not healthy after " + Durations.format(timeout) + ": " + blocker);
        }
        TimeUnit.NANOSECONDS.timedWait(monitor, left);
      }
    }
  }

  public void stopAsync() {
    synchronized (monitor) {
      if (state == SupervisorState.NEW) {
        setState(SupervisorState.TERMINATED, null);
        shutdownExecutors();
        return;
      }
      if (state.isTerminal()) {
        return;
      }
    }
    try {
      loopExecutor.execute(() -> beginShutdown(SupervisorState.TERMINATED));
    } catch (RejectedExecutionException e) {
      // already shutting down
    }
  }

  public void awaitStopped(Duration timeout) throws TimeoutException, InterruptedException {
    notOnLoop("awaitStopped");
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (monitor) {
      while (!state.isTerminal()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          List<String> busy = new ArrayList<>();
          for (ChildRunner r : children) {
            ChildRunner.Snapshot c = r.snapshot;
            if (c.state().isAlive()) {
              busy.add(r.name() + " " + c.state() + c.pid().stream().mapToObj(p -> " pid " + p).findFirst().orElse(""));
            }
          }
          throw new TimeoutException("supervisor not stopped after " + Durations.format(timeout) + " (state " + state
              + "); still running: " + (busy.isEmpty() ? "none" : String.join(", ", busy)));
        }
        TimeUnit.NANOSECONDS.timedWait(monitor, left);
      }
    }
  }

  public void close() {
    notOnLoop("close");
    stopAsync();
    try {
      awaitStopped(shutdownTimeout);
    } catch (TimeoutException e) {
      log.error("{}; sending SIGKILL to every remaining process group", e.getMessage());
      forceKillAll();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      forceKillAll();
    }
  }

  public HandOver handOver(Duration timeout) throws TimeoutException, InterruptedException {
    notOnLoop("handOver");
    Durations.requirePositive(timeout, "timeout");
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (reloadLock) { // not in the middle of a reload
      while (true) {
        java.util.concurrent.CompletableFuture<HandOver> f = new java.util.concurrent.CompletableFuture<>();
        try {
          loopExecutor.execute(() -> {
            try {
              f.complete(handOverOnLoop());
            } catch (RuntimeException e) {
              f.completeExceptionally(e);
            }
          });
          HandOver done = f.get(30, TimeUnit.SECONDS);
          if (done != null) {
            return done;
          }
        } catch (RejectedExecutionException e) {
          throw new IllegalStateException("a hand-over needs a running supervisor; it is " + state);
        } catch (java.util.concurrent.ExecutionException e) {
          if (e.getCause() instanceof RuntimeException re) {
            throw re;
          }
          throw new IllegalStateException(e.getCause());
        }
        if (System.nanoTime() >= deadline) {
          List<String> stopping = new ArrayList<>();
          for (ChildRunner r : children) {
            if (!r.retired && r.snapshot.state() == ChildState.STOPPING) {
              stopping.add(r.name());
            }
          }
          throw new TimeoutException("cannot hand over: " + String.join(", ", stopping) + " still STOPPING after "
              + Durations.format(timeout) + "; nothing was handed over");
        }
        synchronized (monitor) { // a stop in progress: its grace decides; every state change notifies
          TimeUnit.MILLISECONDS.timedWait(monitor, 50);
        }
      }
    }
  }

  /** The hand-over itself, on the loop; null while a child is still stopping. */
  private HandOver handOverOnLoop() {
    if (state != SupervisorState.RUNNING || shutdown.begun()) {
      throw new IllegalStateException("a hand-over needs a running supervisor; it is " + state);
    }
    List<String> bound = new ArrayList<>();
    for (ChildRunner r : children) {
      if (r.retired) {
        continue;
      }
      if (r.snapshot.state() == ChildState.STOPPING) {
        return null;
      }
      if (parentDeathSignal && r.diesWithParent()) {
        bound.add(r.name());
      }
    }
    if (!bound.isEmpty()) {
      throw new IllegalStateException("cannot hand over: " + String.join(", ", bound) + (bound.size() == 1 ? " was" : " were")
          + " started with a parent-death signal and would die with this supervisor; build it with"
          + " recovery(OrphanPolicy.ADOPT) or parentDeathSignal(false) (agentd: --orphans adopt) to hand children over");
    }
    shutdown.handedOver();
    cancelTimers();
    Map<String, Long> running = new LinkedHashMap<>();
    for (ChildRunner r : children) {
      if (!r.retired) {
        r.detach().ifPresent(pid -> running.put(r.name(), pid));
      }
    }
    Instant at = now();
    handedOverAt = at;
    String cause = "handed over: " + running.size() + (running.size() == 1 ? " child" : " children")
        + " left running for the next supervisor on " + home + " to adopt";
    log.info("{}: {}", cause, running);
    closeDown(SupervisorState.TERMINATED, cause, false);
    return new HandOver(at, ProcessHandle.current().pid(), running);
  }

  private void onJvmShutdown() {
    if (state.isTerminal()) {
      return;
    }
    log.info("JVM shutting down: stopping all children");
    close();
  }

  private void forceKillAll() {
    for (ChildRunner r : children) {
      r.forceKill();
    }
    try {
      loopExecutor.execute(shutdown::finish);
    } catch (RejectedExecutionException ignored) {
      // already terminated
    }
  }

  public SupervisorState state() {
    return state;
  }

  public Optional<Throwable> failureCause() {
    return Optional.ofNullable(failureCause);
  }

  public Optional<Instant> startedAt() {
    return Optional.ofNullable(startedAt);
  }

  public Path home() {
    return home;
  }

  @Override
  public Strategy strategy() {
    return strategy;
  }

  public List<String> logTail(String name, int lines) throws IOException {
    Path file = logFile(name).orElseThrow(() -> new IllegalArgumentException("child '" + name + "' has no log file (logs are discarded)"));
    return LogTail.lastLines(file, lines);
  }

  public List<ChildSpec> children() {
    return table.specs();
  }

  public List<Incident> incidents(String name) throws IOException {
    runnerOrThrow(name);
    return incidents.read(name);
  }

  public void setWatching(String name, boolean on) {
    ChildRunner r = runnerOrThrow(name);
    if (r.spec.watch().isEmpty()) {
      throw new IllegalArgumentException("child '" + name + "' watches no files: give its spec watch(paths...)");
    }
    r.watch.enabled = on;
  }

  public boolean isWatching(String name) {
    ChildRunner r = runnerOrThrow(name);
    return r.spec.watch().isPresent() && r.watch.enabled;
  }

  public List<RunRecord> runs(String name) {
    ChildRunner r = runnerOrThrow(name);
    java.util.concurrent.CompletableFuture<List<RunRecord>> f = new java.util.concurrent.CompletableFuture<>();
    try {
      loopExecutor.execute(() -> f.complete(r.history()));
      return f.get(5, TimeUnit.SECONDS);
    } catch (RejectedExecutionException | java.util.concurrent.ExecutionException | TimeoutException e) {
      return List.of(); // the supervisor has ended (or its loop is stuck): no history to give
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    }
  }

  public Optional<Path> logFile(String name) {
    return runnerOrThrow(name).logFile();
  }

  // =========================================================== status

  public SupervisorStatus status() {
    return StatusReader.take(engine, state);
  }

  // =========================================================== per-child control (asynchronous)

  @Override
  public void start(String name) {
    ChildRunner r = runnerOrThrow(name);
    control(r, true, ChildRunner::operatorStart);
  }

  @Override
  public void stop(String name) {
    ChildRunner r = runnerOrThrow(name);
    control(r, false, ChildRunner::operatorStop);
  }

  @Override
  public void restart(String name) {
    ChildRunner r = runnerOrThrow(name);
    control(r, true, ChildRunner::operatorRestart);
  }

  public List<String> rollingRestart(Duration perChild) throws TimeoutException, InterruptedException {
    notOnLoop("rollingRestart");
    SupervisorState st = state();
    if (st != SupervisorState.RUNNING && st != SupervisorState.STARTING) {
      throw new IllegalStateException("a rolling restart needs a running supervisor; it is " + st);
    }
    return RollingRestart.run(children, this, perChild);
  }

  private void control(ChildRunner r, boolean desiredRunning, java.util.function.Consumer<ChildRunner> action) {
    SupervisorState s = state;
    if (s != SupervisorState.STARTING && s != SupervisorState.RUNNING) {
      throw new IllegalStateException("supervisor is " + s + ": cannot control child '" + r.name() + "'");
    }
    r.setDesiredRunning(desiredRunning);
    r.pendingCommands.incrementAndGet();
    try {
      loopExecutor.execute(() -> {
        try {
          if (!shutdown.begun()) {
            action.accept(r);
          }
        } finally {
          r.pendingCommands.decrementAndGet();
          changed();
        }
      });
    } catch (RejectedExecutionException e) {
      r.pendingCommands.decrementAndGet();
      throw new IllegalStateException("supervisor is " + state + ": cannot control child '" + r.name() + "'", e);
    }
  }

  public ChildSpec spec(String name) {
    return runnerOrThrow(name).spec;
  }

  private ChildRunner runnerOrThrow(String name) {
    return table.orThrow(name);
  }

  public List<String> scale(String name, int n) {
    if (n < 0 || n > ChildSpec.MAX_INSTANCES) {
      throw new IllegalArgumentException("instances must be in 0.." + ChildSpec.MAX_INSTANCES + ", got " + n);
    }
    List<String> out;
    synchronized (monitor) {
      out = scaler.scale(name, n, () -> {
        if (state.isTerminal() || shutdown.begun()) {
          throw new IllegalStateException("supervisor is " + state + ": cannot scale");
        }
      });
    }
    changed();
    return out;
  }

  // =========================================================== reload

  private final Object reloadLock = new Object();

  public ReloadResult reload(ConfigSource source, Duration perChild) throws ConfigException, TimeoutException, InterruptedException {
    List<ChildSpec> specs;
    try {
      specs = Objects.requireNonNull(source, "source").load();
    } catch (ConfigException e) {
      reloader.refused(e.getMessage());
      throw e;
    }
    return reload(specs, perChild);
  }

  public ReloadResult reload(List<ChildSpec> specs, Duration perChild) throws TimeoutException, InterruptedException {
    notOnLoop("reload");
    Objects.requireNonNull(specs, "specs");
    Durations.requirePositive(perChild, "perChild");
    synchronized (reloadLock) {
      SupervisorState st = state();
      if ((st != SupervisorState.RUNNING && st != SupervisorState.STARTING) || shutdown.begun()) {
        throw new IllegalStateException("a reload needs a running supervisor; it is " + st);
      }
      return reloader.apply(specs, perChild);
    }
  }

  private void notOnLoop(String call) {
    loop.notOnLoop(call);
  }

  @Override
  public void onLoop(Runnable task) {
    loop.run(task, () -> String.valueOf(state), "the reload", "reloading");
  }

  @Override
  public boolean awaitUntil(java.util.function.BooleanSupplier done, long deadlineNanos) throws InterruptedException {
    synchronized (monitor) {
      while (!done.getAsBoolean()) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(monitor, left);
      }
      return true;
    }
  }

  @Override
  public Object monitor() {
    return monitor;
  }

  // =========================================================== listeners

  public Registration addListener(SupervisorListener listener, Executor executor) {
    return listeners.add(listener, executor);
  }

  public Map<String, String> hostEnvironment() {
    return hostEnv;
  }

  // =========================================================== engine internals

  // =========================================================== the Engine the parts see

  @Override
  public Instant now() {
    return clock.instant();
  }

  @Override
  public TimerClock.Timer schedule(Runnable task, Duration delay) {
    return loop.schedule(task, delay);
  }

  @Override
  public TimerClock.Timer poll(Runnable task, Duration delay) {
    return loop.poll(task, delay);
  }

  @Override
  public Executor loop() {
    return loopExecutor;
  }

  @Override
  public Executor io() {
    return loop.io();
  }

  @Override
  public Executor probes() {
    return loop.probes();
  }

  @Override
  public void emit(SupervisorEvent event) {
    listeners.emit(event);
  }

  @Override
  public void changed() {
    synchronized (monitor) {
      monitor.notifyAll();
    }
    StateWriter w = stateWriter;
    if (w != null) {
      w.markDirty();
    }
  }

  @Override
  public boolean isShuttingDown() {
    return shutdown.begun();
  }

  @Override
  public Breaker breaker() {
    return breaker;
  }

  @Override
  public LogFaults logFaults() {
    return logFaults;
  }

  @Override
  public Duration logCheckInterval() {
    return logCheckInterval;
  }

  @Override
  public dev.supervisor.spi.ProcessLauncher launcher() {
    return launcher;
  }

  @Override
  public Map<String, String> hostEnv() {
    return hostEnv;
  }

  @Override
  public boolean parentDeathSignal() {
    return parentDeathSignal;
  }

  @Override
  public List<ChildRunner> runners() {
    return children;
  }

  @Override
  public ChildRunner runner(String name) {
    return table.get(name);
  }

  @Override
  public void ensureNotifySocket(ChildRunner r) throws IOException {
    notifySockets.ensure(r);
  }

  /** A child became up: start the children waiting for it. */
  @Override
  public void childUp(ChildRunner up) {
    for (ChildRunner r : children) {
      if (r.state() == ChildState.STARTING && r.spec.dependsOn().contains(up.name())) {
        r.trySpawn();
      }
    }
  }

  @Override
  public void restartWithStrategy(ChildRunner exited, ExitStatus exit, Duration delay, String why) {
    if (strategy == Strategy.ONE_FOR_ONE) {
      exited.scheduleRestart(exit, delay, why, () -> exited.requestStart(true));
      return;
    }
    List<ChildRunner> siblings = new ArrayList<>();
    for (ChildRunner r : children) {
      if (r != exited && (strategy == Strategy.ONE_FOR_ALL || r.index > exited.index)) {
        siblings.add(r);
      }
    }
    new GroupRestart(exited).begin(siblings, exit, delay, why);
  }

  @Override
  public void recordIncident(ChildRunner r, Instant at, long runId, ExitStatus exit, Duration uptime, OptionalLong peakRss,
      Optional<Duration> cpu, RestartDecision decision) {
    incidents.record(r.name(), r.logFile(), at, runId, exit, uptime, peakRss, cpu, decision);
  }

  /** Samples cpu and peak rss of live children (young runs every second, the others every 10 s). */
  private void sampleChildren() {
    Instant now = now();
    for (ChildRunner r : children) {
      r.sample(now);
    }
  }

  private void beginShutdown(SupervisorState terminal) {
    shutdown.begin(terminal);
  }

  @Override
  public void childSettled(ChildRunner r) {
    shutdown.settled(r);
  }

  /**
   * The terminal event, the io thread drained, the final save, every socket and the lock released,
   * then the terminal state published and the loop ended. A hand-over ({@code children false})
   * ends the loop at once, dropping every timer left, since no child is watched any more.
   */
  private void closeDown(SupervisorState to, String cause, boolean children) {
    emit(new SupervisorStateChanged(now(), state, to, Optional.ofNullable(cause)));
    loop.drainIo(eventLogWriter == null ? null : eventLogWriter::close);
    if (hook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException ignored) {
        // the JVM is already shutting down
      }
    }
    if (stateWriter != null) {
      stateWriter.finalSaveAndClose();
    }
    notifySockets.closeAll();
    if (watcher != null) {
      watcher.close();
    }
    releaseLock();
    publishState(to, cause);
    loop.end(!children); // at once for a hand-over: the last statement, it interrupts this thread
  }

  private void shutdownExecutors() {
    loop.endAll();
  }

  private void cancelTimers() {
    for (TimerClock.Timer t : new TimerClock.Timer[] {rotationTimer, sampleTimer, flushTimer}) {
      if (t != null) {
        t.cancel();
      }
    }
  }

  private void setState(SupervisorState to, String cause) {
    SupervisorState from = publishState(to, cause);
    emit(new SupervisorStateChanged(now(), from, to, Optional.ofNullable(cause)));
  }

  /** The new state, seen by every waiter; returns the one before. */
  private SupervisorState publishState(SupervisorState to, String cause) {
    SupervisorState from;
    synchronized (monitor) {
      from = state;
      state = to;
      monitor.notifyAll();
    }
    log.info("supervisor {} -> {}{}", from, to, cause == null ? "" : " (" + cause + ")");
    return from;
  }

  /** A loop task threw (a bug): the supervisor fails and stops its children. */
  private void failed(Throwable e) {
    if (failureCause == null) {
      failureCause = e;
    }
    if (!shutdown.begun()) {
      try {
        beginShutdown(SupervisorState.FAILED);
      } catch (RuntimeException e2) {
        log.error("stopping after an internal error failed too", e2);
      }
    }
  }

  @Override
  public String toString() {
    return "Supervisor[" + home + ", " + state + ", " + children.size() + " children, " + strategy + "]";
  }
}
