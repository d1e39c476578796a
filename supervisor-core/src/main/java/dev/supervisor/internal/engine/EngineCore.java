package dev.supervisor.internal.engine;

import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.ConfigException;
import dev.supervisor.ConfigSource;
import dev.supervisor.Durations;
import dev.supervisor.ExitStatus;
import dev.supervisor.HandOver;
import dev.supervisor.OrphanPolicy;
import dev.supervisor.Registration;
import dev.supervisor.ReloadResult;
import dev.supervisor.RestartDecision;
import dev.supervisor.Strategy;
import dev.supervisor.Supervisor;
import dev.supervisor.SupervisorListener;
import dev.supervisor.SupervisorState;
import dev.supervisor.SupervisorStatus;
import dev.supervisor.event.SupervisorEvent;
import dev.supervisor.event.SupervisorStateChanged;
import dev.supervisor.persist.PersistedState;
import dev.supervisor.spi.TimerClock;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind {@link Supervisor}: the event loop, the children in start order, and the
 * {@link Engine} and {@link Commands} its parts see. The facade forwards every public call here
 * (or, for the calls about one child, to {@link #control()}). The rooms hold the jobs: {@link
 * Lifecycle} (the supervisor's state and monitor), {@link Session} (what a run holds, from
 * start-up to close-down), {@link Shutdown} (the order of the end), {@link HandOff}, {@link
 * ChildControl}, a child's {@link ChildRunner state machine}, {@link Instances}, {@link Scaler},
 * {@link Reloader}, {@link RollingRestart}, {@link NotifySockets}, {@link LogRotation}, {@link
 * IncidentRecorder}, {@link ListenerHub}, {@link HealthGate}, {@link StatusReader}, {@link
 * Breaker}, {@link GroupRestart}, {@link Recovery}, {@link StateWriter}, {@link Watcher}. Which
 * thread owns which state: the table in this package's javadoc.
 */
public final class EngineCore implements Engine, Commands {
  private static final Logger log = LoggerFactory.getLogger(Supervisor.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final EngineSettings settings;
  private final Path home;
  private final Strategy strategy;
  private final Clock clock;
  private final boolean parentDeathSignal;
  /** What the parts hold: this, seen through the narrow interface. */
  private final Engine engine = this;
  private final EventLoop loop;
  private final Lifecycle life = new Lifecycle(engine);
  private final ListenerHub listeners = new ListenerHub();
  /** The children whose logs cannot be written now. */
  private final LogFaults logFaults = new LogFaults(engine);
  private final LogRotation rotation = new LogRotation(engine);
  /** In start order; instances added by scale() are appended (retired ones stay, hidden). */
  private final ChildTable table;
  /** The table's live list, retired children included. */
  private final List<ChildRunner> children;
  /** Instance groups (guarded by the monitor). */
  private final Instances instances = new Instances();
  private final Breaker breaker;
  private final NotifySockets notifySockets;
  /** The listening sockets of socket activation, by declaring spec. */
  private final ChildSockets listenSockets = new ChildSockets();
  private final Session session;
  private final Shutdown shutdown;
  private final HandOff handOff;
  private final IncidentRecorder incidents;
  private final ChildControl control;
  private final Reloader reloader;
  private final Scaler scaler;
  /** Held by a reload, and by a hand-over so that it never falls in the middle of one. */
  private final Object reloadLock = new Object();

  public EngineCore(EngineSettings settings) {
    this.settings = settings;
    this.home = settings.home();
    this.strategy = settings.strategy();
    this.clock = settings.clock();
    this.parentDeathSignal = settings.parentDeathSignal() && settings.orphanPolicy() == OrphanPolicy.KILL;
    Instances.Expanded x = Instances.expand(settings.children()); // before a supervisor number is taken
    String name = "supervisor-" + INSTANCES.incrementAndGet();
    this.loop = new EventLoop(name, clock, this::failed);
    instances.reset(x);
    this.table = new ChildTable(engine, home.resolve("logs"));
    this.children = table.all();
    this.notifySockets = new NotifySockets(home, settings.notifySockets(), loop.executor());
    this.session = new Session(settings, name, engine, loop, notifySockets, listeners, rotation, children);
    x.ordered().forEach(table::add); // each runner publishes its first snapshot: changed() needs the session
    this.breaker = new Breaker(engine, settings.stormBreaker(), children.size());
    this.shutdown = new Shutdown(children, new Shutdown.Ending() {
      @Override
      public void began() {
        life.set(SupervisorState.STOPPING, null);
        session.cancelTimers();
      }

      @Override
      public void stopped(SupervisorState terminal) {
        rotation.run(true);
        closeDown(terminal, terminal == SupervisorState.FAILED ? String.valueOf(life.failureCause().orElse(null)) : null, true);
      }
    });
    this.handOff = new HandOff(engine, life, shutdown, session, children, home,
        cause -> closeDown(SupervisorState.TERMINATED, cause, false));
    this.incidents = new IncidentRecorder(home.resolve("incidents"), settings.incidentsKept(), engine.io());
    this.control = new ChildControl(engine, table, life, shutdown, incidents);
    this.reloader = new Reloader(engine, this, table, instances, notifySockets, listenSockets);
    this.scaler = new Scaler(this, table, instances, notifySockets);
    settings.listeners().forEach(listeners::add);
  }

  // =========================================================== lifecycle

  public void startAsync() {
    PersistedState saved;
    synchronized (life.monitor()) {
      if (life.state() != SupervisorState.NEW) {
        throw new IllegalStateException("supervisor is " + life.state() + ": startAsync() may be called once, on a NEW supervisor");
      }
      saved = session.open();
      life.set(SupervisorState.STARTING, null);
    }
    session.addShutdownHook(this::onJvmShutdown);
    loop.executor().execute(() -> {
      if (saved == null) {
        for (ChildRunner r : children) {
          r.operatorStart();
        }
      } else {
        Recovery.recover(engine, saved, settings.orphanPolicy());
      }
      if (!shutdown.begun()) {
        life.set(SupervisorState.RUNNING, null);
      }
      session.begin();
    });
  }

  public long stateWrites() {
    return session.stateWrites();
  }

  public void awaitHealthy(Duration timeout) throws TimeoutException, InterruptedException {
    loop.notOnLoop("awaitHealthy");
    life.awaitHealthy(timeout, children);
  }

  public void stopAsync() {
    synchronized (life.monitor()) {
      if (life.state() == SupervisorState.NEW) {
        life.set(SupervisorState.TERMINATED, null);
        loop.endAll();
        return;
      }
      if (life.state().isTerminal()) {
        return;
      }
    }
    try {
      loop.executor().execute(() -> shutdown.begin(SupervisorState.TERMINATED));
    } catch (RejectedExecutionException e) {
      // already shutting down
    }
  }

  public void awaitStopped(Duration timeout) throws TimeoutException, InterruptedException {
    loop.notOnLoop("awaitStopped");
    life.awaitTerminal(timeout, children);
  }

  public void close() {
    loop.notOnLoop("close");
    stopAsync();
    try {
      awaitStopped(settings.shutdownTimeout());
    } catch (TimeoutException e) {
      log.error("{}; sending SIGKILL to every remaining process group", e.getMessage());
      forceKillAll();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      forceKillAll();
    }
  }

  public HandOver handOver(Duration timeout) throws TimeoutException, InterruptedException {
    loop.notOnLoop("handOver");
    Durations.requirePositive(timeout, "timeout");
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (reloadLock) {
      return handOff.run(timeout, deadline);
    }
  }

  private void onJvmShutdown() {
    if (life.state().isTerminal()) {
      return;
    }
    log.info("JVM shutting down: stopping all children");
    close();
  }

  /** The last resort after a shutdown timeout, off the loop (which may be stuck). */
  private void forceKillAll() {
    for (ChildRunner r : children) {
      r.forceKill();
    }
    try {
      loop.executor().execute(shutdown::finish);
    } catch (RejectedExecutionException ignored) {
      // already terminated
    }
  }

  /**
   * The terminal event, then the session closed (io drained, final save, sockets and lock
   * released), then the terminal state published and the loop ended. A hand-over ({@code
   * children false}) ends the loop at once, dropping every timer left, since no child is watched
   * any more.
   */
  private void closeDown(SupervisorState to, String cause, boolean children) {
    emit(new SupervisorStateChanged(now(), life.state(), to, Optional.ofNullable(cause)));
    listenSockets.closeAll(children); // after the last child stopped, before the lock goes (a successor binds them); files kept at a hand-over
    session.close();
    life.publish(to, cause);
    loop.end(!children); // at once for a hand-over: the last statement, it interrupts this thread
  }

  /** A loop task threw (a bug): the supervisor fails and stops its children. */
  private void failed(Throwable e) {
    life.failedWith(e);
    if (!shutdown.begun()) {
      try {
        shutdown.begin(SupervisorState.FAILED);
      } catch (RuntimeException e2) {
        log.error("stopping after an internal error failed too", e2);
      }
    }
  }

  public SupervisorState state() {
    return life.state();
  }

  public Optional<Throwable> failureCause() {
    return life.failureCause();
  }

  public Optional<Instant> startedAt() {
    return session.startedAt();
  }

  public Path home() {
    return home;
  }

  public List<ChildSpec> children() {
    return table.specs();
  }

  public SupervisorStatus status() {
    return StatusReader.take(engine, life.state());
  }

  public Registration addListener(SupervisorListener listener, Executor executor) {
    return listeners.add(listener, executor);
  }

  // =========================================================== operations

  /** The calls about one child. */
  public ChildControl control() {
    return control;
  }

  @Override
  public void start(String name) {
    control.start(name);
  }

  @Override
  public void stop(String name) {
    control.stop(name);
  }

  @Override
  public void restart(String name) {
    control.restart(name);
  }

  public List<String> rollingRestart(Duration perChild) throws TimeoutException, InterruptedException {
    loop.notOnLoop("rollingRestart");
    SupervisorState st = life.state();
    if (st != SupervisorState.RUNNING && st != SupervisorState.STARTING) {
      throw new IllegalStateException("a rolling restart needs a running supervisor; it is " + st);
    }
    return RollingRestart.run(children, this, perChild);
  }

  public List<String> scale(String name, int n) {
    List<String> out;
    synchronized (life.monitor()) {
      out = scaler.scale(name, n, () -> {
        if (life.state().isTerminal() || shutdown.begun()) {
          throw new IllegalStateException("supervisor is " + life.state() + ": cannot scale");
        }
      });
    }
    changed();
    return out;
  }

  public ReloadResult reload(ConfigSource source, Duration perChild) throws ConfigException, TimeoutException, InterruptedException {
    return reload(reloader.load(source), perChild);
  }

  public ReloadResult reload(List<ChildSpec> specs, Duration perChild) throws TimeoutException, InterruptedException {
    loop.notOnLoop("reload");
    Objects.requireNonNull(specs, "specs");
    Durations.requirePositive(perChild, "perChild");
    synchronized (reloadLock) {
      SupervisorState st = life.state();
      if ((st != SupervisorState.RUNNING && st != SupervisorState.STARTING) || shutdown.begun()) {
        throw new IllegalStateException("a reload needs a running supervisor; it is " + st);
      }
      return reloader.apply(specs, perChild);
    }
  }

  @Override
  public void onLoop(Runnable task) {
    loop.run(task, () -> String.valueOf(life.state()), "the reload", "reloading");
  }

  @Override
  public boolean awaitUntil(java.util.function.BooleanSupplier done, long deadlineNanos) throws InterruptedException {
    return life.awaitUntil(done, deadlineNanos);
  }

  @Override
  public Object monitor() {
    return life.monitor();
  }

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
    return loop.executor();
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
    life.wake();
    session.markDirty();
  }

  @Override
  public boolean isShuttingDown() {
    return shutdown.begun();
  }

  @Override
  public Strategy strategy() {
    return strategy;
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
    return settings.logCheckInterval();
  }

  @Override
  public dev.supervisor.spi.ProcessLauncher launcher() {
    return settings.launcher();
  }

  /** The environment children inherit from (also the facade's {@code hostEnvironment()}). */
  @Override
  public Map<String, String> hostEnv() {
    return settings.hostEnv();
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

  @Override
  public List<Integer> listenFds(ChildRunner r) throws IOException {
    return r.spec.sockets().isEmpty() ? List.of() : listenSockets.fds(r.spec);
  }

  @Override
  public void adopted(ChildRunner r, long pid) {
    if (!r.spec.sockets().isEmpty()) {
      listenSockets.takeBack(r.spec, pid);
    }
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
  public void childSettled(ChildRunner r) {
    shutdown.settled(r);
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

  @Override
  public String toString() {
    return "Supervisor[" + home + ", " + life.state() + ", " + children.size() + " children, " + strategy + "]";
  }
}
