package dev.supervisor;

import dev.supervisor.internal.engine.EngineCore;
import dev.supervisor.internal.engine.EngineSettings;
import dev.supervisor.internal.engine.Instances;
import dev.supervisor.internal.engine.Recovery;

import dev.supervisor.persist.AlreadyRunningException;
import dev.supervisor.persist.PersistedState;
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
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
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
 * SIGKILLs the group and everything in the cgroup. Children stop by dependency level, dependents
 * first: a level's children are signalled together (last started first) and the next level begins
 * when none of them is left. On JDK 22+ a signal is a {@code kill(2)} call through the FFM API, on
 * JDK 17 a {@code kill} process ({@code -Dsupervisor.processLayer=auto|jdk|ffm}).
 * Listeners run on the executor given at registration, in event order, never on the event loop.
 *
 * <p>Files under {@code home}: {@code logs/<child>.log} (the children's output, rotated) and
 * {@code logs/supervisor-events.jsonl} (every event, one JSON object per line). Every directory
 * the supervisor creates is 0700 and every file it writes 0600, whatever the umask; on start,
 * its files that an older version left open to other users are tightened (one WARN line).
 */
public final class Supervisor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Supervisor.class);

  private final EngineCore core;

  private Supervisor(Builder b) {
    this.core = new EngineCore(new EngineSettings(b.home, b.children, b.strategy, b.shutdownTimeout, b.logCheckInterval,
        b.clock, b.shutdownHook, b.eventLog, b.hostEnv, b.pidLock, b.stateStore, b.orphanPolicy, b.parentDeathSignal,
        b.stateFlushInterval, b.stormBreaker, b.incidentsKept, b.notifySockets, b.launcher, b.listeners));
  }

  /** A builder for a supervisor whose files live under {@code home} (created on start). */
  public static Builder builder(Path home) {
    return new Builder(home);
  }

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
    core.startAsync();
    return this;
  }

  /** How many times the state was saved so far (a diagnostic for benchmarks: writes stay bounded under restart storms). */
  public long stateWrites() {
    return core.stateWrites();
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
    core.awaitHealthy(timeout);
  }

  /**
   * Stops every child, dependents before what they depend on (each dependency level at once), and
   * returns at once; idempotent. Wait with {@link #awaitStopped(Duration)}.
   */
  public Supervisor stopAsync() {
    core.stopAsync();
    return this;
  }

  /**
   * Waits until the supervisor is TERMINATED or FAILED.
   *
   * @throws TimeoutException naming the children still stopping
   * @throws InterruptedException if interrupted while waiting
   */
  public void awaitStopped(Duration timeout) throws TimeoutException, InterruptedException {
    core.awaitStopped(timeout);
  }

  /**
   * {@link #stopAsync()}, then waits up to the shutdown timeout (default 2 min); if children are
   * still alive then, SIGKILLs their process groups. Never throws.
   */
  @Override
  public void close() {
    core.close();
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
    return core.handOver(timeout);
  }

  public SupervisorState state() {
    return core.state();
  }

  /** Why the supervisor is FAILED, if it is. */
  public Optional<Throwable> failureCause() {
    return core.failureCause();
  }

  /** When {@link #startAsync()} was called; empty while NEW. */
  public Optional<Instant> startedAt() {
    return core.startedAt();
  }

  /** The home directory. */
  public Path home() {
    return core.home();
  }

  /** The strategy applied when a child is restarted by its policy. */
  public Strategy strategy() {
    return core.strategy();
  }

  /**
   * The last {@code lines} lines of the child's log file (the current file, not the rotated ones).
   *
   * @throws IllegalArgumentException if there is no such child, or its output is not logged
   * @throws IOException if the file cannot be read
   */
  public List<String> logTail(String name, int lines) throws IOException {
    return core.control().logTail(name, lines);
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
    return core.children();
  }

  /**
   * The child's recorded crashes and hang-kills, oldest first (at most {@code incidentsKept}),
   * read from {@code <home>/incidents/<name>.jsonl}; empty when incidents are off.
   *
   * @throws IllegalArgumentException for an unknown name
   * @throws IOException if the file cannot be read
   */
  public List<Incident> incidents(String name) throws IOException {
    return core.control().incidents(name);
  }

  /**
   * Turns a child's file watching on or off (it starts on for a child with
   * {@link ChildSpec.Builder#watch}).
   *
   * @throws IllegalArgumentException for an unknown name, or a child that watches nothing
   */
  public void setWatching(String name, boolean on) {
    core.control().setWatching(name, on);
  }

  /** Whether the child's file watching is on (false for a child that watches nothing). */
  public boolean isWatching(String name) {
    return core.control().isWatching(name);
  }

  /**
   * The child's recent runs, oldest first (at most {@link RestartContext#HISTORY_LIMIT}; cleared
   * when an operator starts or restarts it), as its restart policy sees them.
   *
   * @throws IllegalArgumentException for an unknown name
   */
  public List<RunRecord> runs(String name) {
    return core.control().runs(name);
  }

  /** Where the child's output goes, if it is logged. @throws IllegalArgumentException for an unknown name */
  public Optional<Path> logFile(String name) {
    return core.control().logFile(name);
  }

  /**
   * An immutable snapshot of every child, with cpu time and rss read from {@code /proc} for live
   * children. Cheap enough to call often; safe from any thread.
   */
  public SupervisorStatus status() {
    return core.status();
  }

  /**
   * Starts a child that is STOPPED, EXITED, FATAL or in BACKOFF (at once), clearing its restart
   * history. Asynchronous.
   *
   * @throws IllegalArgumentException if there is no such child
   * @throws IllegalStateException if the supervisor is not STARTING or RUNNING
   */
  public void start(String name) {
    core.start(name);
  }

  /**
   * Stops a child (stop signal, grace, SIGKILL) and keeps it stopped until {@link #start(String)}.
   * Asynchronous.
   *
   * @throws IllegalArgumentException if there is no such child
   * @throws IllegalStateException if the supervisor is not STARTING or RUNNING
   */
  public void stop(String name) {
    core.stop(name);
  }

  /**
   * Stops a child if it runs, then starts it again, clearing its restart history (this is how a
   * FATAL child is brought back). Asynchronous.
   *
   * @throws IllegalArgumentException if there is no such child
   * @throws IllegalStateException if the supervisor is not STARTING or RUNNING
   */
  public void restart(String name) {
    core.restart(name);
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
    return core.rollingRestart(perChild);
  }

  /**
   * The spec of child {@code name} (a run name: an instance such as {@code web-2} included).
   *
   * @throws IllegalArgumentException "no child named 'x'; children: a, b" if there is none
   */
  public ChildSpec spec(String name) {
    return core.control().spec(name);
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
    return core.scale(name, n);
  }

  /**
   * Reads the children from {@code source} and applies them as {@link #reload(List, Duration)}
   * does. A source that fails changes nothing: its message is logged, evented
   * ({@link dev.supervisor.event.ConfigReloadFailed}) and thrown.
   *
   * @throws ConfigException from {@code source}, naming the file and field
   */
  public ReloadResult reload(ConfigSource source, Duration perChild) throws ConfigException, TimeoutException, InterruptedException {
    return core.reload(source, perChild);
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
    return core.reload(specs, perChild);
  }

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
    return core.addListener(listener, executor);
  }

  /**
   * How this supervisor's children are started and signalled, in words ({@link
   * dev.supervisor.spi.ProcessLauncher#layer}): with the system launcher {@code ffm (posix_spawn,
   * pidfd exits, kill(2))} on JDK 22+, {@code jdk (ProcessBuilder, kill command)} on JDK 17 or with
   * {@code -Dsupervisor.processLayer=jdk}.
   */
  public String processLayer() {
    return core.launcher().layer();
  }

  /**
   * The environment children inherit from ({@link Builder#hostEnvironment}, else this process's):
   * {@code spec.effectiveEnv(supervisor.hostEnvironment())} is what a child gets, before the
   * notify variables.
   */
  public Map<String, String> hostEnvironment() {
    return core.hostEnv();
  }

  @Override
  public String toString() {
    return core.toString();
  }

  // =========================================================== builder

  /** Builds a {@link Supervisor}. Not threadsafe. */
  public static final class Builder {
    final Path home;
    final List<ChildSpec> children = new ArrayList<>();
    Strategy strategy = Strategy.ONE_FOR_ONE;
    Duration shutdownTimeout = Duration.ofMinutes(2);
    Duration logCheckInterval = Duration.ofSeconds(1);
    Clock clock = Clock.systemUTC();
    boolean shutdownHook = true;
    boolean eventLog = true;
    Map<String, String> hostEnv = System.getenv();
    boolean pidLock = true;
    StateStore stateStore;
    OrphanPolicy orphanPolicy = OrphanPolicy.KILL;
    boolean parentDeathSignal = true;
    Duration stateFlushInterval = Duration.ofSeconds(30);
    StormBreaker stormBreaker = StormBreaker.majority();
    int incidentsKept = 100;
    NotifySocketFactory notifySockets;
    dev.supervisor.spi.ProcessLauncher launcher = dev.supervisor.spi.ProcessLauncher.system();
    final Map<SupervisorListener, Executor> listeners = new LinkedHashMap<>();

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
      this.shutdownTimeout = Durations.requirePositive(timeout, "shutdownTimeout");
      return this;
    }

    /**
     * How often log sizes are checked for rotation; default 1 s.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder logCheckInterval(Duration interval) {
      this.logCheckInterval = Durations.requirePositive(interval, "logCheckInterval");
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
      this.stateFlushInterval = Durations.requirePositive(interval, "stateFlushInterval");
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
            throw new IllegalArgumentException(Instances.clash(n, other, c));
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
  }
}
