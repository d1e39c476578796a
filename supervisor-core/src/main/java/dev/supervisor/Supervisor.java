package dev.supervisor;

import dev.supervisor.event.SupervisorEvent;
import dev.supervisor.event.SupervisorStateChanged;
import dev.supervisor.internal.DependencyOrder;
import dev.supervisor.internal.EventLog;
import dev.supervisor.internal.LogFiles;
import dev.supervisor.internal.PrivateFiles;
import dev.supervisor.internal.ProcStat;
import dev.supervisor.internal.SerialExecutor;
import dev.supervisor.persist.AlreadyRunningException;
import dev.supervisor.persist.PersistedState;
import dev.supervisor.persist.PidLock;
import dev.supervisor.persist.ProcessSignature;
import dev.supervisor.persist.StateStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
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
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a family of OS processes alive. Threadsafe.
 *
 * <pre>{@code
 * try (Supervisor sup = Supervisor.builder(home)
 *     .child(ChildSpec.builder("worker").argv("my-worker", "--port", "8080").build())
 *     .build()) {
 *   sup.startAsync().awaitHealthy(Duration.ofSeconds(30));
 *   ...
 * }
 * }</pre>
 *
 * <p>All supervision work runs on one platform thread (the event loop), which also spawns every
 * child; exits are noticed through {@link Process#onExit()} (no polling). Each child leads its
 * own process group and, where the supervisor can make one, runs in a cgroup of its own; stopping
 * sends the child's stop signal to the group (and to what left it), waits its grace period, then
 * SIGKILLs the group and everything in the cgroup. Children stop in reverse start order.
 * Listeners run on the executor given at registration, in event order, never on the event loop.
 *
 * <p>Files under {@code home}: {@code logs/<child>.log} (the children's output, rotated) and
 * {@code logs/supervisor-events.jsonl} (every event, one JSON object per line). Every directory
 * the supervisor creates is 0700 and every file it writes 0600, whatever the umask; on start,
 * its files that an older version left open to other users are tightened (one WARN line).
 */
public final class Supervisor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Supervisor.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final Path home;
  private final Path logDir;
  private final Strategy strategy;
  private final Breaker breaker;
  private final NotifySocketFactory notifyFactory;
  private final dev.supervisor.spi.ProcessLauncher launcher;
  private Watcher watcher;
  /** Bound at start (or again when the socket file went away), closed at the end; by child name (guarded by monitor). */
  private final Map<String, NotifySocketFactory.NotifySocket> notifySockets = new LinkedHashMap<>();
  /** The children whose logs cannot be written now. */
  private final LogFaults logFaults = new LogFaults(this);
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
  private final List<ChildRunner> children = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Map<String, ChildRunner> byName = new java.util.concurrent.ConcurrentHashMap<>();
  /** Instance groups: the current count (guarded by monitor) and the spec they are made from. */
  private final Map<String, int[]> groups = new LinkedHashMap<>();
  private final Map<String, ChildSpec> templates = new LinkedHashMap<>();
  private final CopyOnWriteArrayList<ListenerEntry> listeners = new CopyOnWriteArrayList<>();

  private final ScheduledThreadPoolExecutor loop;
  private final ExecutorService io;
  private final ThreadPoolExecutor probes;
  private final Executor loopExecutor;

  private final Object monitor = new Object();
  /** The event loop's thread, once it exists: the blocking calls refuse to run on it. */
  private volatile Thread loopThread;
  private volatile SupervisorState state = SupervisorState.NEW;
  private volatile Throwable failureCause;
  private Thread hook;
  private EventLog eventLogWriter;
  private PidLock pidLock;
  private StateWriter stateWriter;
  private volatile ProcessSignature self;
  private volatile Instant startedAt;
  private final AtomicBoolean rotationRunning = new AtomicBoolean();

  // loop-confined
  private boolean shuttingDown;
  private boolean terminated;
  private int stopCursor;
  private SupervisorState finalState = SupervisorState.TERMINATED;
  /** Set by handOver(): the final save records it, and the successor adopts every live child. */
  private volatile Instant handedOverAt;
  private ScheduledFuture<?> rotationTimer;
  private ScheduledFuture<?> sampleTimer;
  /** Null when incidents are off. */
  private final dev.supervisor.internal.IncidentStore incidents;
  private final java.util.concurrent.atomic.AtomicInteger pendingIncidents = new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.concurrent.atomic.AtomicLong droppedIncidents = new java.util.concurrent.atomic.AtomicLong();
  private ScheduledFuture<?> flushTimer;

  private record ListenerEntry(SupervisorListener listener, SerialExecutor executor) {}

  private Supervisor(Builder b) {
    this.home = b.home;
    this.logDir = home.resolve("logs");
    this.strategy = b.strategy;
    this.shutdownTimeout = b.shutdownTimeout;
    this.logCheckInterval = b.logCheckInterval;
    this.clock = b.clock;
    this.shutdownHook = b.shutdownHook;
    this.eventLog = b.eventLog;
    this.hostEnv = Map.copyOf(b.hostEnv);
    this.usePidLock = b.pidLock;
    this.stateStore = b.stateStore != null ? b.stateStore : StateStore.atomicJsonFile(home.resolve("state.json"));
    this.orphanPolicy = b.orphanPolicy;
    this.parentDeathSignal = b.parentDeathSignal && b.orphanPolicy == OrphanPolicy.KILL;
    this.stateFlushInterval = b.stateFlushInterval;
    Expanded x = expand(b.children);
    groups.putAll(x.groups());
    templates.putAll(x.templates());
    List<ChildSpec> ordered = x.ordered();
    for (int i = 0; i < ordered.size(); i++) {
      ChildSpec spec = ordered.get(i);
      Path logFile = spec.logs().enabled() ? logDir.resolve(spec.name() + ".log") : null;
      ChildRunner r = new ChildRunner(this, spec, i, logFile);
      children.add(r);
      byName.put(spec.name(), r);
    }
    this.breaker = new Breaker(this, b.stormBreaker, children.size());
    this.notifyFactory = b.notifySockets;
    this.launcher = b.launcher;
    this.incidents = b.incidentsKept == 0 ? null : new dev.supervisor.internal.IncidentStore(home.resolve("incidents"), b.incidentsKept);
    int n = INSTANCES.incrementAndGet();
    ThreadFactory loopThreads = named("supervisor-" + n + "-loop", false);
    this.loop = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = loopThreads.newThread(r);
      loopThread = t;
      return t;
    });
    this.loop.setRemoveOnCancelPolicy(true);
    this.loopExecutor = task -> loop.execute(guard(task));
    this.io = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), named("supervisor-" + n + "-io", true));
    this.probes = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), named("supervisor-" + n + "-probe", true));
    this.probes.allowCoreThreadTimeOut(true);
    for (Map.Entry<SupervisorListener, Executor> e : b.listeners.entrySet()) {
      listeners.add(new ListenerEntry(e.getKey(), new SerialExecutor(e.getValue())));
    }
  }

  /** A builder for a supervisor whose files live under {@code home} (created on start). */
  public static Builder builder(Path home) {
    return new Builder(home);
  }

  // =========================================================== lifecycle

  /**
   * Starts every child in start order (declaration order, after their {@code dependsOn}) and
   * returns at once; wait with {@link #awaitHealthy(Duration)}.
   *
   * <p>First takes the PID lock of {@code home} and reads the saved state: live children of a
   * crashed predecessor are killed or adopted ({@link Builder#recovery(OrphanPolicy)}), children an
   * operator stopped stay stopped, FATAL children stay FATAL, and restart counts carry over.
   *
   * @throws IllegalStateException if the supervisor is not NEW
   * @throws AlreadyRunningException if another live supervisor holds this home's PID lock
   * @throws UncheckedIOException if {@code <home>/logs} or the lock cannot be created, or the saved
   *     state was written by a newer, incompatible version
   */
  public Supervisor startAsync() {
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
        bindNotifySockets();
        watcher = Watcher.start(this, children);
      } catch (IOException e) {
        closeNotifySockets();
        releaseLock();
        throw new UncheckedIOException(e.getMessage(), e);
      }
      self = ProcessSignature.current();
      startedAt = now();
      stateWriter = new StateWriter(stateStore, this::persistedState, this, "supervisor-" + INSTANCES.get() + "-state");
      if (eventLog) {
        eventLogWriter = new EventLog(logDir.resolve("supervisor-events.jsonl"));
        listeners.add(new ListenerEntry(eventLogWriter, new SerialExecutor(io)));
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
        Recovery.recover(this, saved, orphanPolicy);
      }
      if (!shuttingDown) {
        setState(SupervisorState.RUNNING, null);
      }
      long every = logCheckInterval.toMillis();
      rotationTimer = loop.scheduleWithFixedDelay(guard(this::rotateLogs), every, every, TimeUnit.MILLISECONDS);
      sampleTimer = loop.scheduleWithFixedDelay(guard(this::sampleChildren), 1000, 1000, TimeUnit.MILLISECONDS);
      long flush = stateFlushInterval.toMillis();
      flushTimer = loop.scheduleWithFixedDelay(guard(stateWriter::markDirty), flush, flush, TimeUnit.MILLISECONDS);
      stateWriter.enable(); // only now: every child is restored, so no half-recovered state is ever saved
    });
    return this;
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

  /** How many times the state was saved so far (a diagnostic for benchmarks: writes stay bounded under restart storms). */
  public long stateWrites() {
    StateWriter w = stateWriter;
    return w == null ? 0 : w.writes();
  }

  List<ChildRunner> runners() {
    return children;
  }

  boolean parentDeathSignal() {
    return parentDeathSignal;
  }

  /** One datagram socket per child that uses the notify protocol, at {@code <home>/run/notify/<name>.sock}. */
  private void bindNotifySockets() throws IOException {
    for (ChildRunner r : children) {
      if (r.spec.notifySettings().isPresent()) {
        bindNotifySocket(r);
      }
    }
  }

  /** The child's datagram socket at {@code <home>/run/notify/<name>.sock}. */
  private void bindNotifySocket(ChildRunner r) throws IOException {
    Path dir = home.resolve("run").resolve("notify");
    dev.supervisor.internal.OwnedDirectories.ensure(dir); // run/ is the control socket's too: 0700 as its server makes it
    Path path = dir.resolve(r.name() + ".sock");
    if (path.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 107) {
      throw new IOException("the notify socket " + path + " is longer than the 107 bytes a Unix socket address holds;"
          + " use a shorter home or child name");
    }
    Files.deleteIfExists(path); // ours: the pid lock is held, so no live supervisor uses it
    try {
      notifySockets.put(r.name(), notifyFactory.bind(path, (pid, pgid, message) -> {
        try {
          loopExecutor.execute(() -> r.notified(pid, pgid, message));
        } catch (RejectedExecutionException e) {
          // the supervisor has ended
        }
      }));
    } catch (IOException e) {
      throw new IOException("cannot bind the notify socket " + path + " of child '" + r.name() + "': " + e.getMessage(), e);
    }
    r.notifySocket = path;
  }

  /**
   * Before a spawn (loop thread): when the child's notify socket file is gone ({@code run/}
   * deleted), binds it again, so that the child's {@code NOTIFY_SOCKET} reaches us.
   *
   * @throws IOException if it cannot be bound again
   */
  void ensureNotifySocket(ChildRunner r) throws IOException {
    Path path = r.notifySocket;
    if (path == null || Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    synchronized (monitor) {
      NotifySocketFactory.NotifySocket old = notifySockets.remove(r.name());
      if (old != null) {
        old.close(); // first: closing removes the file at the path, which the new socket is about to take
      }
      log.warn("the notify socket {} of child '{}' was deleted: binding it again", path, r.name());
      bindNotifySocket(r);
    }
  }

  private void closeNotifySockets() {
    synchronized (monitor) {
      notifySockets.values().forEach(NotifySocketFactory.NotifySocket::close);
      notifySockets.clear();
    }
  }

  private void releaseLock() {
    if (pidLock != null) {
      pidLock.close();
      pidLock = null;
    }
  }

  /**
   * Waits until every child that should run is up: READY if it has a readiness probe, else
   * RUNNING; a child that exited cleanly and is not restarted by design, or that an operator
   * stopped, counts as settled.
   *
   * @throws TimeoutException naming the children that are not up yet, with their states
   * @throws IllegalStateException if that can no longer happen: a child is FATAL or exited with a
   *     failure its policy does not restart, or the supervisor is not STARTING or RUNNING
   * @throws InterruptedException if interrupted while waiting
   */
  public void awaitHealthy(Duration timeout) throws TimeoutException, InterruptedException {
    notOnLoop("awaitHealthy");
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (monitor) {
      while (true) {
        String blocker = healthBlocker();
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

  /** Null when healthy; the list of late children otherwise; throws when health is unreachable. */
  private String healthBlocker() {
    SupervisorState s = state;
    if (s != SupervisorState.STARTING && s != SupervisorState.RUNNING) {
      throw new IllegalStateException("supervisor is " + s + (s == SupervisorState.NEW ? ": call startAsync() first" : "")
          + failureCause().map(t -> " (" + t + ")").orElse(""));
    }
    List<String> late = new ArrayList<>();
    for (ChildRunner r : children) {
      ChildRunner.Snapshot c = r.snapshot;
      boolean desired = r.desiredRunning();
      if (!desired && !c.state().isAlive()) {
        continue; // stopped by an operator (or about to be)
      }
      if (r.pendingCommands.get() > 0) {
        late.add(r.name() + " " + c.state() + " (operator command pending)");
        continue;
      }
      switch (c.state()) {
        case READY:
          continue;
        case RUNNING:
          if (!r.spec.hasReadiness()) {
            continue;
          }
          break;
        case FATAL:
          throw new IllegalStateException("child '" + r.name() + "' is FATAL: " + c.reason().orElse("")
              + "; fix it, then restart it");
        case EXITED:
          if (c.lastExit().map(ExitStatus::isFailure).orElse(false)) {
            throw new IllegalStateException("child '" + r.name() + "' EXITED with " + c.lastExit().get()
                + " and its restart policy does not restart it");
          }
          continue;
        default:
          break;
      }
      late.add(r.name() + " " + c.state() + c.reason().map(x -> " (" + x + ")").orElse("")
          + c.lastExit().filter(x -> c.state() == ChildState.BACKOFF).map(x -> " after " + x).orElse(""));
    }
    return late.isEmpty() ? null : String.join(", ", late);
  }

  /**
   * Stops every child in reverse start order and returns at once; idempotent. Wait with
   * {@link #awaitStopped(Duration)}.
   */
  public Supervisor stopAsync() {
    synchronized (monitor) {
      if (state == SupervisorState.NEW) {
        setState(SupervisorState.TERMINATED, null);
        shutdownExecutors();
        return this;
      }
      if (state.isTerminal()) {
        return this;
      }
    }
    try {
      loopExecutor.execute(() -> beginShutdown(SupervisorState.TERMINATED));
    } catch (RejectedExecutionException e) {
      // already shutting down
    }
    return this;
  }

  /**
   * Waits until the supervisor is TERMINATED or FAILED.
   *
   * @throws TimeoutException naming the children still stopping
   * @throws InterruptedException if interrupted while waiting
   */
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

  /**
   * {@link #stopAsync()}, then waits up to the shutdown timeout (default 2 min); if children are
   * still alive then, SIGKILLs their process groups. Never throws.
   */
  @Override
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

  /**
   * Ends this supervisor and leaves every child running, recorded for adoption: the next
   * supervisor started on the same home adopts each live child (same pid, same restart count and
   * run id, nothing restarted), whatever its {@link Builder#recovery(OrphanPolicy) recovery}
   * policy, since this was no crash. This is how the supervisor process is replaced, by a new
   * version for example, without restarting a child (systemd's {@code daemon-reexec}); {@code
   * agentd daemon upgrade} is built on it.
   *
   * <p>First waits (up to {@code timeout}) until no child is STOPPING, so that a stop in progress
   * is finished rather than handed over half done. Then, on the event loop: every timer and probe
   * ends, the state is saved with the hand-over mark, the notify sockets and the PID lock are
   * released, and the supervisor becomes TERMINATED (the event's cause says "handed over"). The
   * children's processes, log files and cgroups are left as they are. A child in BACKOFF has no
   * process: the successor starts it. The JVM shutdown hook no longer stops anything.
   *
   * <p>Children must be able to outlive their parent: a supervisor that gives them a parent-death
   * signal (the default with {@link OrphanPolicy#KILL}) refuses, since the kernel would kill them
   * the moment this process exits. Build it with {@code recovery(OrphanPolicy.ADOPT)} or {@code
   * parentDeathSignal(false)}.
   *
   * @param timeout how long a child that is stopping may take to settle
   * @return the children left running, with their pids
   * @throws IllegalStateException if the supervisor is not RUNNING, or its children carry a
   *     parent-death signal (nothing is changed)
   * @throws TimeoutException if a child is still STOPPING after {@code timeout} (nothing is changed)
   * @throws InterruptedException if interrupted while waiting
   */
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
    if (state != SupervisorState.RUNNING || shuttingDown) {
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
    shuttingDown = true;
    terminated = true;
    for (ScheduledFuture<?> t : new ScheduledFuture<?>[] {rotationTimer, sampleTimer, flushTimer}) {
      if (t != null) {
        t.cancel(false);
      }
    }
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
    finalState = SupervisorState.TERMINATED;
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
      loopExecutor.execute(() -> finishShutdown());
    } catch (RejectedExecutionException ignored) {
      // already terminated
    }
  }

  public SupervisorState state() {
    return state;
  }

  /** Why the supervisor is FAILED, if it is. */
  public Optional<Throwable> failureCause() {
    return Optional.ofNullable(failureCause);
  }

  /** When {@link #startAsync()} was called; empty while NEW. */
  public Optional<Instant> startedAt() {
    return Optional.ofNullable(startedAt);
  }

  /** The home directory. */
  public Path home() {
    return home;
  }

  /** The strategy applied when a child is restarted by its policy. */
  public Strategy strategy() {
    return strategy;
  }

  /**
   * The last {@code lines} lines of the child's log file (the current file, not the rotated ones).
   *
   * @throws IllegalArgumentException if there is no such child, or its output is not logged
   * @throws IOException if the file cannot be read
   */
  public List<String> logTail(String name, int lines) throws IOException {
    Path file = logFile(name).orElseThrow(() -> new IllegalArgumentException("child '" + name + "' has no log file (logs are discarded)"));
    return LogTail.lastLines(file, lines);
  }

  /**
   * Force, for a home whose supervisor is hung or gone (never call it while a healthy one runs):
   * SIGKILLs what {@code <home>/state.json} records of its children, as a starting supervisor's
   * recovery would with orphans: each process group whose leader still has the recorded start time
   * (a recycled pid is left alone), and each recorded cgroup with everything in it, then removes
   * those cgroups. The supervisor process itself is not touched.
   *
   * @return how many children had processes to kill
   * @throws IOException if the state file cannot be read
   */
  public static int killRecordedChildren(Path home) throws IOException {
    Optional<PersistedState> saved = StateStore.atomicJsonFile(home.resolve("state.json")).load();
    return saved.map(Recovery::killRecorded).orElse(0);
  }

  /** The specs, in start order. */
  public List<ChildSpec> children() {
    return children.stream().filter(r -> !r.retired).map(r -> r.spec).toList();
  }

  /**
   * The child's recorded crashes and hang-kills, oldest first (at most {@code incidentsKept}),
   * read from {@code <home>/incidents/<name>.jsonl}; empty when incidents are off.
   *
   * @throws IllegalArgumentException for an unknown name
   * @throws IOException if the file cannot be read
   */
  public List<Incident> incidents(String name) throws IOException {
    runnerOrThrow(name);
    return incidents == null ? List.of() : incidents.read(name);
  }

  /**
   * Turns a child's file watching on or off (it starts on for a child with
   * {@link ChildSpec.Builder#watch}).
   *
   * @throws IllegalArgumentException for an unknown name, or a child that watches nothing
   */
  public void setWatching(String name, boolean on) {
    ChildRunner r = runnerOrThrow(name);
    if (r.spec.watch().isEmpty()) {
      throw new IllegalArgumentException("child '" + name + "' watches no files: give its spec watch(paths...)");
    }
    r.watchEnabled = on;
  }

  /** Whether the child's file watching is on (false for a child that watches nothing). */
  public boolean isWatching(String name) {
    ChildRunner r = runnerOrThrow(name);
    return r.spec.watch().isPresent() && r.watchEnabled;
  }

  /**
   * The child's recent runs, oldest first (at most {@link RestartContext#HISTORY_LIMIT}; cleared
   * when an operator starts or restarts it), as its restart policy sees them.
   *
   * @throws IllegalArgumentException for an unknown name
   */
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

  /** Where the child's output goes, if it is logged. @throws IllegalArgumentException for an unknown name */
  public Optional<Path> logFile(String name) {
    return runnerOrThrow(name).logFile();
  }

  // =========================================================== status

  /**
   * An immutable snapshot of every child, with cpu time and rss read from {@code /proc} for live
   * children. Cheap enough to call often; safe from any thread.
   */
  public SupervisorStatus status() {
    Instant now = now();
    List<ChildStatus> out = new ArrayList<>(children.size());
    java.util.Map<Long, Integer> groupCounts = groupCounts();
    for (ChildRunner r : children) {
      if (r.retired) {
        continue;
      }
      ChildRunner.Snapshot c = r.snapshot;
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
          c.statusText(), dev.supervisor.internal.PrivilegeReports.of(r.spec, launcher, hostEnv, parentDeathSignal,
              r.logFile(), livePid), logFaults.of(r.name()), processCount(c, livePid, groupCounts)));
    }
    return new SupervisorStatus(state, now, out, breaker.status());
  }

  /** Live processes of a child: its cgroup's, else its process group's (real processes only). */
  private OptionalInt processCount(ChildRunner.Snapshot c, OptionalLong livePid, java.util.Map<Long, Integer> groupCounts) {
    if (livePid.isEmpty()) {
      return OptionalInt.empty();
    }
    if (c.cgroup().isPresent()) {
      // the leader is alive; it may not have joined its cgroup yet (it joins just before its exec)
      return OptionalInt.of(Math.max(1, dev.supervisor.internal.Cgroups.count(c.cgroup().get())));
    }
    Integer n = groupCounts.get(livePid.getAsLong());
    return n == null ? OptionalInt.empty() : OptionalInt.of(n);
  }

  /** For live children without a cgroup, their process groups' sizes in one /proc scan. */
  private java.util.Map<Long, Integer> groupCounts() {
    if (!(launcher instanceof dev.supervisor.internal.SystemProcessLauncher)) {
      return java.util.Map.of();
    }
    List<Long> pgids = new ArrayList<>();
    for (ChildRunner r : children) {
      ChildRunner.Snapshot c = r.snapshot;
      if (!r.retired && c.state().isAlive() && c.pid().isPresent() && c.cgroup().isEmpty()) {
        pgids.add(c.pid().getAsLong());
      }
    }
    java.util.Map<Long, Integer> counts = new java.util.HashMap<>(dev.supervisor.internal.ProcessGroups.countMembers(pgids));
    pgids.forEach(p -> counts.putIfAbsent(p, 0));
    return counts;
  }

  // =========================================================== per-child control (asynchronous)

  /**
   * Starts a child that is STOPPED, EXITED, FATAL or in BACKOFF (at once), clearing its restart
   * history. Asynchronous.
   *
   * @throws IllegalArgumentException if there is no such child
   * @throws IllegalStateException if the supervisor is not STARTING or RUNNING
   */
  public void start(String name) {
    ChildRunner r = runnerOrThrow(name);
    control(r, true, ChildRunner::operatorStart);
  }

  /**
   * Stops a child (stop signal, grace, SIGKILL) and keeps it stopped until {@link #start(String)}.
   * Asynchronous.
   *
   * @throws IllegalArgumentException if there is no such child
   * @throws IllegalStateException if the supervisor is not STARTING or RUNNING
   */
  public void stop(String name) {
    ChildRunner r = runnerOrThrow(name);
    control(r, false, ChildRunner::operatorStop);
  }

  /**
   * Stops a child if it runs, then starts it again, clearing its restart history (this is how a
   * FATAL child is brought back). Asynchronous.
   *
   * @throws IllegalArgumentException if there is no such child
   * @throws IllegalStateException if the supervisor is not STARTING or RUNNING
   */
  public void restart(String name) {
    ChildRunner r = runnerOrThrow(name);
    control(r, true, ChildRunner::operatorRestart);
  }

  /**
   * Restarts the children one at a time, in start order, each only after the previous one is
   * up again (READY when it has readiness, else RUNNING). Children that are not up when their
   * turn comes (stopped, EXITED, FATAL, in BACKOFF) are skipped. Blocks until done.
   *
   * @param perChild how long each child may take to come back
   * @return the children restarted, in order
   * @throws TimeoutException if a child does not come back within {@code perChild} (or goes FATAL):
   *     the message names it, its state, the ones already restarted, and those left untouched
   * @throws IllegalStateException if the supervisor is not STARTING or RUNNING
   */
  public List<String> rollingRestart(Duration perChild) throws TimeoutException, InterruptedException {
    notOnLoop("rollingRestart");
    SupervisorState st = state();
    if (st != SupervisorState.RUNNING && st != SupervisorState.STARTING) {
      throw new IllegalStateException("a rolling restart needs a running supervisor; it is " + st);
    }
    List<String> done = new ArrayList<>();
    for (int i = 0; i < children.size(); i++) {
      ChildRunner r = children.get(i);
      ChildRunner.Snapshot before = r.snapshot;
      boolean up = before.state() == ChildState.READY || (before.state() == ChildState.RUNNING && !r.spec.hasReadiness());
      if (!up || !before.desiredRunning()) {
        continue;
      }
      log.info("rolling restart: restarting '{}' ({} of {})", r.name(), i + 1, children.size());
      restart(r.name());
      long deadline = System.nanoTime() + perChild.toNanos();
      synchronized (monitor) {
        while (true) {
          ChildRunner.Snapshot now = r.snapshot;
          boolean back = now.runId() > before.runId() && r.pendingCommands.get() == 0
              && (now.state() == ChildState.READY || (now.state() == ChildState.RUNNING && !r.spec.hasReadiness()));
          if (back) {
            break;
          }
          long left = deadline - System.nanoTime();
          if (left <= 0 || now.state() == ChildState.FATAL) {
            List<String> untouched = children.subList(i + 1, children.size()).stream().filter(c -> !c.retired)
                .map(ChildRunner::name).toList();
            throw new TimeoutException("rolling restart stopped at '" + r.name() + "': it did not come back "
                + (r.spec.hasReadiness() ? "READY" : "RUNNING") + " within " + Durations.format(perChild) + " (it is " + now.state()
                + now.reason().map(x -> ": " + x).orElse("") + "); restarted: " + (done.isEmpty() ? "none" : String.join(", ", done))
                + "; untouched: " + (untouched.isEmpty() ? "none" : String.join(", ", untouched)));
          }
          TimeUnit.NANOSECONDS.timedWait(monitor, left);
        }
      }
      done.add(r.name());
    }
    return done;
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
          if (!shuttingDown) {
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

  /**
   * The spec of child {@code name} (a run name: an instance such as {@code web-2} included).
   *
   * @throws IllegalArgumentException "no child named 'x'; children: a, b" if there is none
   */
  public ChildSpec spec(String name) {
    return runnerOrThrow(name).spec;
  }

  private ChildRunner runnerOrThrow(String name) {
    ChildRunner r = byName.get(Objects.requireNonNull(name, "name"));
    if (r == null || r.retired) {
      throw new IllegalArgumentException("no child named '" + name + "'; children: "
          + String.join(", ", children().stream().map(ChildSpec::name).toList()));
    }
    return r;
  }

  /**
   * Grows or shrinks the instances of a child declared with {@code instances(n)}: new ones
   * ({@code name-k}, started at once, after the others in start order) or the highest-numbered
   * stopped first (gracefully, as an operator stop). The count lasts until the supervisor stops:
   * put it in the spec (or config) to keep it.
   *
   * @return the instance names now
   * @throws IllegalArgumentException if {@code name} was not declared with instances, {@code n} is not in 0..1000, or a new
   *     instance name is another child's
   */
  public List<String> scale(String name, int n) {
    if (n < 0 || n > ChildSpec.MAX_INSTANCES) {
      throw new IllegalArgumentException("instances must be in 0.." + ChildSpec.MAX_INSTANCES + ", got " + n);
    }
    List<String> out = new ArrayList<>();
    synchronized (monitor) {
      int[] count = groups.get(Objects.requireNonNull(name, "name"));
      if (count == null) {
        throw new IllegalArgumentException("'" + name + "' was not declared with instances(n)"
            + (groups.isEmpty() ? "; no child was" : "; these were: " + String.join(", ", groups.keySet())));
      }
      if (state.isTerminal() || shuttingDown) {
        throw new IllegalStateException("supervisor is " + state + ": cannot scale");
      }
      for (int i = count[0]; i < n; i++) { // refuse a clash with another child before growing at all
        ChildRunner clash = byName.get(name + "-" + i);
        if (clash != null && !clash.spec.instanceOf().equals(Optional.of(name))) {
          throw new IllegalArgumentException("cannot scale '" + name + "' to " + n + ": "
              + SupervisorConfig.instanceClash(clash.name(), clash.spec, templates.get(name)));
        }
      }
      for (int i = count[0]; i < n; i++) { // grow
        String member = name + "-" + i;
        ChildRunner r = byName.get(member);
        if (r == null) {
          ChildSpec spec = templates.get(name).instance(i);
          r = new ChildRunner(this, spec, children.size(), spec.logs().enabled() ? logDir.resolve(member + ".log") : null);
          if (spec.notifySettings().isPresent()) {
            try {
              bindNotifySocket(r);
            } catch (IOException e) {
              throw new UncheckedIOException(e.getMessage(), e);
            }
          }
          children.add(r);
          byName.put(member, r);
        }
        r.retired = false;
        start(member);
      }
      for (int i = count[0] - 1; i >= n; i--) { // shrink, highest first
        String member = name + "-" + i;
        stop(member);
        byName.get(member).retired = true;
      }
      count[0] = n;
      for (int i = 0; i < n; i++) {
        out.add(name + "-" + i);
      }
    }
    changed();
    return out;
  }

  // =========================================================== reload

  /** Specs with instances expanded, in start order, with the groups and templates they came from. */
  private record Expanded(List<ChildSpec> ordered, Map<String, int[]> groups, Map<String, ChildSpec> templates) {}

  /**
   * Instances: web (3) runs as web-0, web-1, web-2; a dependsOn naming web waits for all of them.
   *
   * @throws IllegalArgumentException naming duplicate names, unknown dependencies or a cycle
   */
  private static Expanded expand(List<ChildSpec> specs) {
    Map<String, int[]> groups = new LinkedHashMap<>();
    Map<String, ChildSpec> templates = new LinkedHashMap<>();
    Map<String, List<String>> members = new LinkedHashMap<>();
    List<ChildSpec> expanded = new ArrayList<>();
    for (ChildSpec spec : specs) {
      Objects.requireNonNull(spec, "spec");
      if (spec.instances() == 0) {
        expanded.add(spec);
        continue;
      }
      groups.put(spec.name(), new int[] {spec.instances()});
      templates.put(spec.name(), spec);
      List<String> names = new ArrayList<>();
      for (int i = 0; i < spec.instances(); i++) {
        ChildSpec m = spec.instance(i);
        expanded.add(m);
        names.add(m.name());
      }
      members.put(spec.name(), names);
    }
    for (int i = 0; i < expanded.size(); i++) {
      ChildSpec spec = expanded.get(i);
      if (spec.dependsOn().stream().anyMatch(members::containsKey)) {
        List<String> deps = new ArrayList<>();
        spec.dependsOn().forEach(d -> deps.addAll(members.getOrDefault(d, List.of(d))));
        expanded.set(i, spec.toBuilder().dependsOn(deps).build());
      }
    }
    return new Expanded(DependencyOrder.startOrder(expanded), groups, templates);
  }

  private final Object reloadLock = new Object();

  /**
   * Reads the children from {@code source} and applies them as {@link #reload(List, Duration)}
   * does. A source that fails changes nothing: its message is logged, evented
   * ({@link dev.supervisor.event.ConfigReloadFailed}) and thrown.
   *
   * @throws ConfigException from {@code source}, naming the file and field
   */
  public ReloadResult reload(ConfigSource source, Duration perChild) throws ConfigException, TimeoutException, InterruptedException {
    List<ChildSpec> specs;
    try {
      specs = Objects.requireNonNull(source, "source").load();
    } catch (ConfigException e) {
      reloadRefused(e.getMessage());
      throw e;
    }
    return reload(specs, perChild);
  }

  /**
   * Applies a new set of children, changing only what differs (by run name; a spec is changed
   * when it is not {@link ChildSpec#equals equal} to the running one):
   * <ol>
   *   <li>removed children stop, last started first, each before the next;
   *   <li>added children start, in dependency order (each waits for its dependencies, as at start);
   *   <li>changed children restart with their new spec, one at a time in start order, each only
   *       after the previous one is up again (as {@link #rollingRestart}); one an operator had
   *       stopped takes the new spec and stays stopped;
   *   <li>unchanged children are not touched: same pid, same restart count.
   * </ol>
   * The new children become the start order (and so the shutdown order); instance counts become
   * those of the new specs. The strategy and file watching set at build time stay as they are.
   * Blocks until done; one reload at a time.
   *
   * @param perChild how long a stopped child may take to stop, and a restarted one to come back
   * @return the names added, removed, restarted and unchanged (also evented as
   *     {@link dev.supervisor.event.ConfigReloaded})
   * @throws IllegalArgumentException if the new specs are invalid (duplicate name, unknown
   *     dependency, cycle): nothing is changed, and the reason is logged and evented
   *     ({@link dev.supervisor.event.ConfigReloadFailed})
   * @throws TimeoutException if a child does not stop or come back within {@code perChild}: the
   *     message names it, and what was done and left undone
   * @throws IllegalStateException if the supervisor is not STARTING or RUNNING
   */
  public ReloadResult reload(List<ChildSpec> specs, Duration perChild) throws TimeoutException, InterruptedException {
    notOnLoop("reload");
    Objects.requireNonNull(specs, "specs");
    positiveTimeout(perChild);
    synchronized (reloadLock) {
      SupervisorState st = state();
      if ((st != SupervisorState.RUNNING && st != SupervisorState.STARTING) || shuttingDown) {
        throw new IllegalStateException("a reload needs a running supervisor; it is " + st);
      }
      Expanded next;
      try {
        next = expand(specs);
      } catch (IllegalArgumentException | NullPointerException e) {
        String why = "reload refused, nothing changed: " + e.getMessage();
        reloadRefused(why);
        throw new IllegalArgumentException(why, e);
      }
      Map<String, ChildSpec> wanted = new LinkedHashMap<>();
      next.ordered().forEach(sp -> wanted.put(sp.name(), sp));
      List<ChildRunner> live = children.stream().filter(r -> !r.retired).toList();
      List<ChildRunner> removed = live.stream().filter(r -> !wanted.containsKey(r.name())).toList();
      Map<String, ChildRunner> liveByName = new LinkedHashMap<>();
      live.forEach(r -> liveByName.put(r.name(), r));
      List<String> added = new ArrayList<>();
      List<String> restarted = new ArrayList<>();
      List<String> unchanged = new ArrayList<>();
      for (ChildSpec sp : next.ordered()) {
        ChildRunner r = liveByName.get(sp.name());
        if (r == null) {
          added.add(sp.name());
        } else if (r.spec.equals(sp)) {
          unchanged.add(sp.name());
        } else {
          restarted.add(sp.name());
        }
      }
      List<String> removedNames = removed.stream().map(ChildRunner::name).toList();
      log.info("reload: adding {}, removing {}, restarting {}, {} unchanged", added, removedNames, restarted, unchanged.size());
      List<String> done = new ArrayList<>();
      // 1. removed: last started first, each stopped before the next
      for (int i = removed.size() - 1; i >= 0; i--) {
        ChildRunner r = removed.get(i);
        stop(r.name());
        awaitStopped(r, perChild, "stopping removed child", done, removedNames, added, restarted);
        r.retired = true;
        done.add("removed " + r.name());
      }
      // 2. the new start order: runners for the added ones (a name removed before is reused), renumbered
      synchronized (monitor) {
        for (String name : added) {
          ChildSpec sp = wanted.get(name);
          Path logFile = sp.logs().enabled() ? logDir.resolve(name + ".log") : null;
          ChildRunner r = byName.get(name);
          if (r == null) {
            r = new ChildRunner(this, sp, children.size(), logFile);
            children.add(r);
            byName.put(name, r);
          } else {
            ChildRunner old = r;
            onLoop(() -> old.respec(sp, logFile));
          }
          bindNotifySocketIfNeeded(r);
        }
        List<ChildRunner> order = new ArrayList<>();
        next.ordered().forEach(sp -> order.add(byName.get(sp.name())));
        children.stream().filter(r -> !wanted.containsKey(r.name())).forEach(order::add); // retired, hidden
        for (int i = 0; i < order.size(); i++) {
          order.get(i).index = i;
        }
        java.util.Iterator<ChildRunner> it = order.iterator();
        children.replaceAll(r -> it.next()); // one atomic swap of the array: readers never see a half-ordered list
        groups.clear();
        groups.putAll(next.groups());
        templates.clear();
        templates.putAll(next.templates());
      }
      // 3. added: started in start order; each spawns once its dependencies are up
      for (String name : added) {
        byName.get(name).retired = false;
        start(name);
        done.add("added " + name);
      }
      // 4. changed: one at a time, each up again before the next
      for (String name : restarted) {
        ChildRunner r = byName.get(name);
        ChildSpec sp = wanted.get(name);
        boolean wasRunning = r.snapshot.desiredRunning();
        stop(name);
        awaitStopped(r, perChild, "restarting changed child", done, removedNames, added, restarted);
        Path logFile = sp.logs().enabled() ? logDir.resolve(name + ".log") : null;
        onLoop(() -> r.respec(sp, logFile));
        bindNotifySocketIfNeeded(r);
        if (wasRunning) {
          long runBefore = r.snapshot.runId();
          start(name);
          awaitUp(r, runBefore, perChild, done, removedNames, added, restarted);
        }
        done.add("restarted " + name);
      }
      changed();
      ReloadResult result = new ReloadResult(added, removedNames, restarted, unchanged);
      log.info("reload done: added {}, removed {}, restarted {}, unchanged {}", added, removedNames, restarted, unchanged);
      emit(new dev.supervisor.event.ConfigReloaded(now(), added, removedNames, restarted, unchanged));
      return result;
    }
  }

  private void reloadRefused(String message) {
    log.warn("{}", message);
    emit(new dev.supervisor.event.ConfigReloadFailed(now(), message));
  }

  private static void positiveTimeout(Duration d) {
    if (Objects.requireNonNull(d, "perChild").isNegative() || d.isZero()) {
      throw new IllegalArgumentException("perChild must be positive, got " + d);
    }
  }

  /** The calls that wait for the loop cannot be made on it: a listener with a direct executor would deadlock the supervisor. */
  private void notOnLoop(String call) {
    if (Thread.currentThread() == loopThread) {
      throw new IllegalStateException("Supervisor." + call + " called on the supervisor's own event loop (a listener with a direct"
          + " executor?): it would wait for itself; register that listener with an executor of its own");
    }
  }

  /** Runs {@code task} on the loop thread and waits for it. */
  private void onLoop(Runnable task) {
    java.util.concurrent.CompletableFuture<Void> f = new java.util.concurrent.CompletableFuture<>();
    try {
      loopExecutor.execute(() -> {
        try {
          task.run();
          f.complete(null);
        } catch (RuntimeException e) {
          f.completeExceptionally(e);
        }
      });
      f.get(30, TimeUnit.SECONDS);
    } catch (RejectedExecutionException | TimeoutException e) {
      throw new IllegalStateException("supervisor is " + state + ": the reload cannot go on", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reloading", e);
    }
  }

  private void bindNotifySocketIfNeeded(ChildRunner r) {
    if (r.spec.notifySettings().isPresent() && r.notifySocket == null && notifyFactory != null) {
      synchronized (monitor) {
        try {
          bindNotifySocket(r);
        } catch (IOException e) {
          throw new UncheckedIOException(e.getMessage(), e);
        }
      }
    }
  }

  private void awaitStopped(ChildRunner r, Duration perChild, String doing, List<String> done, List<String> removed,
      List<String> added, List<String> restarted) throws TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + perChild.toNanos();
    synchronized (monitor) {
      while (r.pendingCommands.get() > 0 || r.snapshot.state().isAlive()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw reloadTimeout(doing + " '" + r.name() + "': it did not stop within " + Durations.format(perChild), done, removed, added,
              restarted);
        }
        TimeUnit.NANOSECONDS.timedWait(monitor, left);
      }
    }
  }

  private void awaitUp(ChildRunner r, long runBefore, Duration perChild, List<String> done, List<String> removed, List<String> added,
      List<String> restarted) throws TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + perChild.toNanos();
    synchronized (monitor) {
      while (true) {
        ChildRunner.Snapshot now = r.snapshot;
        if (now.runId() > runBefore && r.pendingCommands.get() == 0
            && (now.state() == ChildState.READY || (now.state() == ChildState.RUNNING && !r.spec.hasReadiness()))) {
          return;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || now.state() == ChildState.FATAL) {
          throw reloadTimeout("restarting changed child '" + r.name() + "': it did not come back "
              + (r.spec.hasReadiness() ? "READY" : "RUNNING") + " within " + Durations.format(perChild) + " (it is " + now.state()
              + now.reason().map(x -> ": " + x).orElse("") + ")", done, removed, added, restarted);
        }
        TimeUnit.NANOSECONDS.timedWait(monitor, left);
      }
    }
  }

  private TimeoutException reloadTimeout(String what, List<String> done, List<String> removed, List<String> added,
      List<String> restarted) {
    String msg = "reload stopped at " + what + "; done: " + (done.isEmpty() ? "nothing" : String.join(", ", done))
        + " (planned: added " + added + ", removed " + removed + ", restarted " + restarted + ")";
    reloadRefused(msg);
    return new TimeoutException(msg);
  }

  // =========================================================== listeners

  /**
   * Registers {@code listener} for events from now on; it runs on {@code executor}, in event
   * order, one event at a time.
   *
   * <p>A direct executor ({@code Runnable::run}) runs it on the thread that emits the event: the
   * supervisor's event loop for almost every event (the state writer's thread for
   * {@code StateWriteFailed} and {@code StateWriteRecovered}). It must then return at once, and
   * the calls that wait for the loop ({@link #awaitHealthy}, {@link #awaitStopped}, {@link
   * #close}, {@link #reload}, {@link #rollingRestart}, {@link #handOver}) refuse to run there
   * with an {@code IllegalStateException} rather than wait for themselves. Give any listener that
   * does more than record the event an executor of its own.
   */
  public Registration addListener(SupervisorListener listener, Executor executor) {
    ListenerEntry e = new ListenerEntry(Objects.requireNonNull(listener, "listener"),
        new SerialExecutor(Objects.requireNonNull(executor, "executor")));
    listeners.add(e);
    return () -> listeners.remove(e);
  }

  void emit(SupervisorEvent event) {
    for (ListenerEntry e : listeners) {
      e.executor().execute(() -> e.listener().onEvent(event));
    }
  }

  // =========================================================== engine internals (loop thread)

  ChildRunner runner(String name) {
    return byName.get(name);
  }

  Breaker breaker() {
    return breaker;
  }

  LogFaults logFaults() {
    return logFaults;
  }

  Duration logCheckInterval() {
    return logCheckInterval;
  }

  dev.supervisor.spi.ProcessLauncher launcher() {
    return launcher;
  }

  /** Samples cpu and peak rss of live children (young runs every second, the others every 10 s). */
  private void sampleChildren() {
    Instant now = now();
    for (ChildRunner r : children) {
      r.sample(now);
    }
  }

  /**
   * Records an incident on the io thread (the log tail is read there). At most 256 wait at once:
   * beyond that, in a storm, incidents are dropped and counted, and the drop is logged.
   */
  void recordIncident(ChildRunner r, Instant at, long runId, ExitStatus exit, Duration uptime, java.util.OptionalLong peakRss,
      Optional<Duration> cpu, RestartDecision decision) {
    if (incidents == null) {
      return;
    }
    if (pendingIncidents.incrementAndGet() > 256) {
      pendingIncidents.decrementAndGet();
      if (droppedIncidents.getAndIncrement() % 1000 == 0) {
        log.warn("incident records are falling behind a crash storm: {} dropped so far (child '{}' run {})",
            droppedIncidents.get(), r.name(), runId);
      }
      return;
    }
    Optional<Path> logFile = r.logFile();
    ioExecutor().execute(() -> {
      try {
        List<String> lines = List.of();
        if (logFile.isPresent()) {
          try {
            lines = dev.supervisor.internal.FileTail.lastLines(logFile.get(), Incident.LINES);
          } catch (IOException e) {
            lines = List.of("(cannot read " + logFile.get() + ": " + e.getMessage() + ")");
          }
        }
        incidents.append(new Incident(at, r.name(), runId, exit, uptime, lines, peakRss, cpu, decision.action(), decision.delay(),
            decision.reason()));
      } finally {
        pendingIncidents.decrementAndGet();
      }
    });
  }

  Instant now() {
    return clock.instant();
  }

  Map<String, String> hostEnv() {
    return hostEnv;
  }

  /**
   * The environment children inherit from ({@link Builder#hostEnvironment}, else this process's):
   * {@code spec.effectiveEnv(supervisor.hostEnvironment())} is what a child gets, before the
   * notify variables.
   */
  public Map<String, String> hostEnvironment() {
    return hostEnv;
  }

  Executor loopExecutor() {
    return loopExecutor;
  }

  Executor ioExecutor() {
    return task -> {
      try {
        io.execute(task);
      } catch (RejectedExecutionException e) {
        task.run(); // after termination: do it inline
      }
    };
  }

  Executor probeExecutor() {
    return probes;
  }

  boolean isShuttingDown() {
    return shuttingDown;
  }

  ScheduledFuture<?> schedule(Runnable task, Duration delay) {
    try {
      return loop.schedule(guard(task), delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      return null;
    }
  }

  /** Wakes up awaiters; called after every published change. */
  void changed() {
    synchronized (monitor) {
      monitor.notifyAll();
    }
    StateWriter w = stateWriter;
    if (w != null) {
      w.markDirty();
    }
  }

  /** A child became up: start the children waiting for it. */
  void childUp(ChildRunner up) {
    for (ChildRunner r : children) {
      if (r.state() == ChildState.STARTING && r.spec.dependsOn().contains(up.name())) {
        r.trySpawn();
      }
    }
  }

  /** Applies the strategy to a restart the child's policy decided. */
  void restartWithStrategy(ChildRunner exited, ExitStatus exit, Duration delay, String why) {
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

  private void beginShutdown(SupervisorState terminal) {
    if (shuttingDown) {
      return;
    }
    shuttingDown = true;
    finalState = terminal;
    setState(SupervisorState.STOPPING, null);
    if (rotationTimer != null) {
      rotationTimer.cancel(false);
    }
    if (sampleTimer != null) {
      sampleTimer.cancel(false);
    }
    if (flushTimer != null) {
      flushTimer.cancel(false);
    }
    stopCursor = children.size() - 1;
    stopNext();
  }

  /** Stops children one at a time, last started first. */
  private void stopNext() {
    while (stopCursor >= 0) {
      ChildRunner r = children.get(stopCursor);
      if (r.stopForShutdown()) {
        return; // childSettled() continues
      }
      stopCursor--;
    }
    finishShutdown();
  }

  void childSettled(ChildRunner r) {
    if (!shuttingDown) {
      return;
    }
    if (stopCursor >= 0 && children.get(stopCursor) == r) {
      stopCursor--;
      stopNext();
    }
  }

  /**
   * The last step: the terminal event is queued first and the io thread drained (event log, last
   * rotation), and only then is the terminal state published, so that a caller returning from
   * awaitStopped() finds every file complete.
   */
  private void finishShutdown() {
    if (terminated) {
      return;
    }
    terminated = true;
    rotateLogs(true);
    SupervisorState to = finalState;
    closeDown(to, to == SupervisorState.FAILED ? String.valueOf(failureCause) : null, true);
  }

  /**
   * The terminal event, the io thread drained, the final save, every socket and the lock released,
   * then the terminal state published and the loop ended. A hand-over ({@code children false})
   * ends the loop at once, dropping every timer left, since no child is watched any more.
   */
  private void closeDown(SupervisorState to, String cause, boolean children) {
    emit(new SupervisorStateChanged(now(), state, to, Optional.ofNullable(cause)));
    if (eventLogWriter != null) {
      io.execute(eventLogWriter::close);
    }
    io.shutdown();
    probes.shutdownNow();
    try {
      if (!io.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("the supervisor's io thread did not finish within 5s (log rotation or event log); leaving it");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
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
    closeNotifySockets();
    if (watcher != null) {
      watcher.close();
    }
    releaseLock();
    SupervisorState from;
    synchronized (monitor) {
      from = state;
      state = to;
      monitor.notifyAll();
    }
    log.info("supervisor {} -> {}{}", from, to, cause == null ? "" : " (" + cause + ")");
    if (children) {
      loop.shutdown();
    } else {
      loop.shutdownNow(); // the last statement: it interrupts this thread
    }
  }

  private void shutdownExecutors() {
    loop.shutdown();
    probes.shutdownNow();
    io.shutdown();
  }

  private void setState(SupervisorState to, String cause) {
    SupervisorState from;
    synchronized (monitor) {
      from = state;
      state = to;
      monitor.notifyAll();
    }
    log.info("supervisor {} -> {}{}", from, to, cause == null ? "" : " (" + cause + ")");
    emit(new SupervisorStateChanged(now(), from, to, Optional.ofNullable(cause)));
  }

  /** Per-log bookkeeping for adaptive size checks; io-thread confined. */
  private static final class LogWatch {
    long lastSize;
    long lastCheckNanos;
    long nextCheckNanos;
    /** 0 until the first prune (at the first check after the start). */
    long nextPruneNanos;
    /** The wait after a check that saw no growth: doubles from the check interval up to 10 s, back to it on growth. */
    long quietWaitNanos;
  }

  private final Map<String, LogWatch> logWatches = new java.util.HashMap<>();

  /** A quiet log is checked this often at most (a growing one every {@code logCheckInterval}). */
  private static final long QUIET_CHECK_NANOS = TimeUnit.SECONDS.toNanos(10);

  private void rotateLogs() {
    rotateLogs(false);
  }

  /**
   * Rotates the logs that outgrew their limit, and notices the logs that cannot be written
   * ({@link LogFaults}). Checks are adaptive, so 500 idle children cost 50 {@code stat}s a second
   * rather than 500: a log that grows is checked again after half the time it needs to reach its
   * limit at its current rate (at least every {@code logCheckInterval}), a quiet one every 10 s,
   * a faulty one every {@code logCheckInterval}; each directory (does it exist, is its file system
   * full or read-only) is looked at once every round. {@code all} checks every log now (shutdown).
   */
  private void rotateLogs(boolean all) {
    if (!rotationRunning.compareAndSet(false, true)) {
      return;
    }
    ioExecutor().execute(() -> {
      try {
        long now = System.nanoTime();
        long minGap = logCheckInterval.toNanos();
        Map<Path, String> directories = new java.util.HashMap<>(); // each directory is looked at once a round
        for (ChildRunner r : children) {
          LogConfig cfg = r.spec.logs();
          Optional<Path> file = r.logFile();
          if (file.isEmpty()) {
            continue;
          }
          LogWatch w = logWatches.computeIfAbsent(r.name(), n -> new LogWatch());
          String problem = logFaults.directoryProblem(file.get(), directories); // every round: one look per directory
          if (problem == null) {
            if (!all && now - w.nextCheckNanos < 0 && !r.logCheckDue) {
              continue;
            }
            r.logCheckDue = false;
            problem = LogFaults.fileProblem(r, file.get());
          }
          if (problem != null) {
            logFaults.failed(r, problem);
            w.nextCheckNanos = now + minGap;
            continue;
          }
          try {
            long before = Files.exists(file.get()) ? Files.size(file.get()) : 0; // the growth, measured before a rotation truncates
            Path rotated = LogFiles.rotateIfLarger(file.get(), cfg.maxBytes(), cfg.keep(), cfg.gzip());
            if (rotated != null) {
              log.debug("rotated log of child '{}' into {}", r.name(), rotated);
            }
            if (rotated != null || w.nextPruneNanos == 0 || now - w.nextPruneNanos >= 0) { // after each rotation, at start, and hourly
              for (Path gone : LogFiles.prune(file.get(), cfg.maxAge(), cfg.maxTotalBytes(), now())) { // the supervisor's clock
                log.info("deleted {} of child '{}' (retention: {})", gone.getFileName(), r.name(), cfg);
              }
              w.nextPruneNanos = now + TimeUnit.HOURS.toNanos(1);
            }
            long size = rotated == null ? before : Files.exists(file.get()) ? Files.size(file.get()) : 0;
            long grown = before - w.lastSize;
            long wait;
            if (w.lastCheckNanos == 0 || rotated != null) {
              wait = minGap; // no rate known yet, or it just filled a file: look again soon
              w.quietWaitNanos = minGap;
            } else if (grown > 0) {
              double bytesPerNano = grown / (double) Math.max(1, now - w.lastCheckNanos);
              wait = (long) Math.min(QUIET_CHECK_NANOS, Math.max(minGap, (cfg.maxBytes() - size) / bytesPerNano / 2));
              w.quietWaitNanos = minGap;
            } else { // quiet: back off step by step, so a burst after a pause is seen within the last wait
              w.quietWaitNanos = Math.min(QUIET_CHECK_NANOS, Math.max(minGap, w.quietWaitNanos * 2));
              wait = w.quietWaitNanos;
            }
            w.lastSize = size;
            w.lastCheckNanos = now;
            w.nextCheckNanos = now + wait;
            logFaults.ok(r);
          } catch (IOException e) {
            w.nextCheckNanos = now + minGap;
            logFaults.failed(r, "cannot rotate " + file.get() + ": " + dev.supervisor.internal.OwnedDirectories.reason(e, file.get()));
          }
        }
      } finally {
        rotationRunning.set(false);
      }
    });
  }

  /** Every loop task goes through here: an unexpected exception fails the supervisor (children are stopped). */
  private Runnable guard(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        log.error("internal error in the supervisor event loop; stopping all children", e);
        if (failureCause == null) {
          failureCause = e;
        }
        if (!shuttingDown) {
          try {
            beginShutdown(SupervisorState.FAILED);
          } catch (RuntimeException e2) {
            log.error("stopping after an internal error failed too", e2);
          }
        }
      }
    };
  }

  private static ThreadFactory named(String name, boolean daemon) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(daemon);
      return t;
    };
  }

  @Override
  public String toString() {
    return "Supervisor[" + home + ", " + state + ", " + children.size() + " children, " + strategy + "]";
  }

  // =========================================================== builder

  /** Builds a {@link Supervisor}. Not threadsafe. */
  public static final class Builder {
    private final Path home;
    private final List<ChildSpec> children = new ArrayList<>();
    private Strategy strategy = Strategy.ONE_FOR_ONE;
    private Duration shutdownTimeout = Duration.ofMinutes(2);
    private Duration logCheckInterval = Duration.ofSeconds(1);
    private Clock clock = Clock.systemUTC();
    private boolean shutdownHook = true;
    private boolean eventLog = true;
    private Map<String, String> hostEnv = System.getenv();
    private boolean pidLock = true;
    private StateStore stateStore;
    private OrphanPolicy orphanPolicy = OrphanPolicy.KILL;
    private boolean parentDeathSignal = true;
    private Duration stateFlushInterval = Duration.ofSeconds(30);
    private StormBreaker stormBreaker = StormBreaker.majority();
    private int incidentsKept = 100;
    private NotifySocketFactory notifySockets;
    private dev.supervisor.spi.ProcessLauncher launcher = dev.supervisor.spi.ProcessLauncher.system();
    private final Map<SupervisorListener, Executor> listeners = new LinkedHashMap<>();

    private Builder(Path home) {
      this.home = Objects.requireNonNull(home, "home").toAbsolutePath();
    }

    /** Adds a child; start order is declaration order, except that a child starts after its {@code dependsOn}. */
    public Builder child(ChildSpec spec) {
      children.add(Objects.requireNonNull(spec, "spec"));
      return this;
    }

    /** Adds children. */
    public Builder children(List<ChildSpec> specs) {
      specs.forEach(this::child);
      return this;
    }

    /** Default {@link Strategy#ONE_FOR_ONE}. */
    public Builder strategy(Strategy strategy) {
      this.strategy = Objects.requireNonNull(strategy, "strategy");
      return this;
    }

    /**
     * How long {@link Supervisor#close()} (and the JVM shutdown hook) waits before SIGKILLing
     * everything; default 2 minutes.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder shutdownTimeout(Duration timeout) {
      this.shutdownTimeout = positive(timeout, "shutdownTimeout");
      return this;
    }

    /**
     * How often log sizes are checked for rotation; default 1 s.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder logCheckInterval(Duration interval) {
      this.logCheckInterval = positive(interval, "logCheckInterval");
      return this;
    }

    /** The clock for timestamps, uptimes and restart windows (a test seam); default UTC system clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Whether a JVM shutdown hook stops the children (default true). */
    public Builder shutdownHook(boolean enabled) {
      this.shutdownHook = enabled;
      return this;
    }

    /** Whether events are appended to {@code <home>/logs/supervisor-events.jsonl} (default true). */
    public Builder eventLog(boolean enabled) {
      this.eventLog = enabled;
      return this;
    }

    /** The environment children inherit from (through their allow-list); default {@link System#getenv()}. */
    public Builder hostEnvironment(Map<String, String> env) {
      this.hostEnv = Map.copyOf(env);
      return this;
    }

    /**
     * Whether {@code startAsync()} takes the single-instance lock {@code <home>/supervisor.pid}
     * (default true). Turn it off only when something else guarantees one supervisor per home.
     */
    public Builder pidLock(boolean enabled) {
      this.pidLock = enabled;
      return this;
    }

    /** Where state is saved; default {@code StateStore.atomicJsonFile(<home>/state.json)}. */
    public Builder stateStore(StateStore store) {
      this.stateStore = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * The supervisor-wide restart budget; default {@link StormBreaker#majority()} (more than half
     * of the children crashing within 30 s pauses restarts until one stays up for 10 s).
     * {@link StormBreaker#off()} turns it off.
     */
    public Builder stormBreaker(StormBreaker breaker) {
      this.stormBreaker = Objects.requireNonNull(breaker, "breaker");
      return this;
    }

    /**
     * How many incident records ({@link Incident}: each crash or hang-kill with the log tail,
     * peak rss, cpu and the decision) to keep per child under {@code <home>/incidents/};
     * default 100, 0 turns them off.
     *
     * @throws IllegalArgumentException if not in 0..10000
     */
    public Builder incidentsKept(int perChild) {
      if (perChild < 0 || perChild > 10_000) {
        throw new IllegalArgumentException("incidentsKept must be in 0..10000, got " + perChild);
      }
      this.incidentsKept = perChild;
      return this;
    }

    /**
     * What binds the per-child sockets of the notify protocol; needed when a child uses
     * {@code readinessNotify}, {@code watchdog} or {@code notifySocket}. supervisor-ipc has it:
     * {@code .notifySockets(ChildNotifySockets.create())}.
     */
    public Builder notifySockets(NotifySocketFactory factory) {
      this.notifySockets = Objects.requireNonNull(factory, "factory");
      return this;
    }

    /**
     * What starts the children's processes; default {@link dev.supervisor.spi.ProcessLauncher#system()}.
     * Tests of a supervision tree can pass {@code dev.supervisor.testing.FakeProcessLauncher}: no
     * process is spawned, and the test decides when each "process" exits.
     */
    public Builder processLauncher(dev.supervisor.spi.ProcessLauncher launcher) {
      this.launcher = Objects.requireNonNull(launcher, "launcher");
      return this;
    }

    /** What to do with live children of a crashed predecessor; default {@link OrphanPolicy#KILL}. */
    public Builder recovery(OrphanPolicy policy) {
      this.orphanPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Whether children get SIGKILL when the supervisor dies (Linux parent-death signal, through
     * {@code setpriv --pdeathsig KILL}); default true, always off with {@link OrphanPolicy#ADOPT}.
     * It reaches a child's own process only; its grandchildren are killed by recovery on the next start.
     */
    public Builder parentDeathSignal(boolean enabled) {
      this.parentDeathSignal = enabled;
      return this;
    }

    /**
     * How often the state is saved even without changes (a failed save is retried then too);
     * default 30 s.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder stateFlushInterval(Duration interval) {
      this.stateFlushInterval = positive(interval, "stateFlushInterval");
      return this;
    }

    /** A listener that sees every event from the first start on. */
    public Builder listener(SupervisorListener listener, Executor executor) {
      listeners.put(Objects.requireNonNull(listener, "listener"), Objects.requireNonNull(executor, "executor"));
      return this;
    }

    /**
     * Builds the supervisor (state NEW; nothing runs until {@link Supervisor#startAsync()}).
     *
     * @throws IllegalArgumentException for no children, duplicate names (an instance name such as
     *     {@code web-1} included), unknown or cyclic {@code dependsOn}, or privileges a child
     *     declares that cannot be enforced here (unless best-effort)
     * @throws IllegalStateException if a child uses the notify protocol ({@code readinessNotify},
     *     a watchdog, {@code notifySocket}) and no {@link #notifySockets} factory was given: the
     *     builder, not the child, is incomplete
     */
    public Supervisor build() {
      if (children.isEmpty()) {
        throw new IllegalArgumentException("a supervisor needs at least one child: call child(...)");
      }
      Map<String, ChildSpec> runNames = new java.util.HashMap<>();
      for (ChildSpec c : children) {
        for (String n : c.runNames()) {
          ChildSpec other = runNames.putIfAbsent(n, c);
          if (other != null && (other.instances() > 0 || c.instances() > 0)) {
            throw new IllegalArgumentException(SupervisorConfig.instanceClash(n, other, c));
          }
        }
      }
      if (notifySockets == null) {
        for (ChildSpec c : children) {
          if (c.notifySettings().isPresent()) {
            throw new IllegalStateException("child '" + c.name() + "' uses the notify protocol (readinessNotify, watchdog or"
                + " notifySocket) but the supervisor has no notify socket factory: add"
                + " .notifySockets(dev.supervisor.ipc.notify.ChildNotifySockets.create()) from supervisor-ipc");
          }
        }
      }
      checkPrivileges();
      return new Supervisor(this);
    }

    /** Unknown users refuse the child; so does a control this host cannot enforce, unless best-effort (then one WARN). */
    private void checkPrivileges() {
      for (ChildSpec c : children) {
        if (c.privileges().isEmpty()) {
          continue;
        }
        if (launcher instanceof dev.supervisor.internal.SystemProcessLauncher) {
          List<dev.supervisor.internal.PrivilegeSupport.Gap> invalid = dev.supervisor.internal.PrivilegeSupport.invalid(c.privileges());
          if (!invalid.isEmpty()) {
            throw new IllegalArgumentException("child '" + c.name() + "': " + invalid.get(0));
          }
        }
        List<String> gaps = launcher.unenforced(c);
        if (gaps.isEmpty()) {
          continue;
        }
        if (c.privileges().enforcement() == Enforcement.STRICT) {
          throw new IllegalArgumentException("child '" + c.name() + "' cannot be given its privileges here: " + String.join("; ", gaps)
              + "; fix that, drop the control, or accept best effort (Enforcement.BEST_EFFORT, \"enforce\": \"best-effort\")");
        }
        log.warn("child '{}' runs with best-effort privileges; not enforced here: {}", c.name(), String.join("; ", gaps));
      }
    }

    private static Duration positive(Duration d, String what) {
      return Durations.requirePositive(d, what);
    }
  }
}
