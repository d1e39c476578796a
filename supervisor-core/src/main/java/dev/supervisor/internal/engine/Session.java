package dev.supervisor.internal.engine;

import dev.supervisor.internal.EventLog;
import dev.supervisor.internal.OrphanReaper;
import dev.supervisor.internal.OwnedDirectories;
import dev.supervisor.internal.PrivateFiles;
import dev.supervisor.persist.PersistedState;
import dev.supervisor.persist.PidLock;
import dev.supervisor.persist.ProcessSignature;
import dev.supervisor.persist.StateStore;
import dev.supervisor.spi.TimerClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What one run of the supervisor holds from start-up to close-down: the log directory, the pid
 * lock, the notify sockets and the file watcher, the state writer, the event log, the JVM
 * shutdown hook and the periodic timers (log sizes, {@code /proc} samples, the state flush).
 * {@link #open} takes them in that order and gives back what it took when a step fails; {@link
 * #close} releases them. Opened by the caller of {@code startAsync} under the monitor; the timers
 * and {@link #close} are the loop's.
 */
final class Session {
  private final EngineSettings settings;
  private final Path logDir;
  private final StateStore stateStore;
  private final String name;
  private final Engine engine;
  private final EventLoop loop;
  private final NotifySockets notifySockets;
  private final ListenerHub listeners;
  private final LogRotation rotation;
  private final List<ChildRunner> children;

  private PidLock pidLock;
  private Watcher watcher;
  private volatile StateWriter stateWriter;
  private EventLog eventLog;
  private Thread hook;
  private volatile ProcessSignature self;
  private volatile Instant startedAt;
  /** Set by a hand-over: the final save records it, and the successor adopts every live child. */
  private volatile Instant handedOverAt;

  // loop-confined
  private TimerClock.Timer rotationTimer;
  private TimerClock.Timer sampleTimer;
  private TimerClock.Timer flushTimer;

  Session(EngineSettings settings, String name, Engine engine, EventLoop loop, NotifySockets notifySockets,
      ListenerHub listeners, LogRotation rotation, List<ChildRunner> children) {
    this.settings = settings;
    this.logDir = settings.home().resolve("logs");
    this.stateStore = settings.stateStore() != null ? settings.stateStore()
        : StateStore.atomicJsonFile(settings.home().resolve("state.json"));
    this.name = name;
    this.engine = engine;
    this.loop = loop;
    this.notifySockets = notifySockets;
    this.listeners = listeners;
    this.rotation = rotation;
    this.children = children;
  }

  /**
   * Takes what a run needs, in order; on a failure gives back what it took and throws.
   *
   * @return the state saved by the run before, or null
   * @throws UncheckedIOException naming the file and the fix
   */
  PersistedState open() {
    Path home = settings.home();
    try {
      OwnedDirectories.ensure(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the log directory " + logDir + ": " + e.getMessage()
          + "; fix its permissions or choose another home", e);
    }
    if (settings.pidLock()) {
      try {
        pidLock = PidLock.acquire(PidLock.fileOf(home));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot take the lock " + PidLock.fileOf(home) + ": " + e.getMessage(), e);
      }
    }
    PrivateFiles.tightenHome(home); // what an older version or a loose umask left readable: one WARN line if any
    PersistedState saved;
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
    startedAt = engine.now();
    stateWriter = new StateWriter(stateStore, this::persistedState, engine, name + "-state");
    if (settings.eventLog()) {
      eventLog = new EventLog(logDir.resolve("supervisor-events.jsonl"));
      listeners.add(eventLog, loop.ioThread());
    }
    return saved;
  }

  /** Registers the JVM shutdown hook, when the settings ask for one. */
  void addShutdownHook(Runnable onJvmShutdown) {
    if (settings.shutdownHook()) {
      hook = new Thread(onJvmShutdown, "supervisor-shutdown-hook");
      Runtime.getRuntime().addShutdownHook(hook);
    }
  }

  /**
   * On the loop, once every child is started or recovered: the periodic timers, and only then the
   * state writer, so that no half-recovered state is ever saved. Log sizes and {@code /proc} are
   * the real world, looked at in real time; the flush is the engine's own timer.
   */
  void begin() {
    OrphanReaper.startIfReaper(); // PID 1 or a subreaper: orphans re-parented here are reaped
    rotationTimer = loop.everyRealTime(() -> rotation.run(false), settings.logCheckInterval());
    sampleTimer = loop.everyRealTime(this::sampleChildren, Duration.ofSeconds(1));
    flushTimer = loop.every(stateWriter::markDirty, settings.stateFlushInterval());
    stateWriter.enable();
  }

  /** Samples cpu and peak rss of live children (young runs every second, the others every 10 s). */
  private void sampleChildren() {
    Instant now = engine.now();
    for (ChildRunner r : children) {
      r.sample(now);
    }
  }

  void cancelTimers() {
    for (TimerClock.Timer t : new TimerClock.Timer[] {rotationTimer, sampleTimer, flushTimer}) {
      if (t != null) {
        t.cancel();
      }
    }
  }

  /** The final save records a hand-over at {@code at}. */
  void handedOver(Instant at) {
    handedOverAt = at;
  }

  Optional<Instant> startedAt() {
    return Optional.ofNullable(startedAt);
  }

  long stateWrites() {
    StateWriter w = stateWriter;
    return w == null ? 0 : w.writes();
  }

  /** The saved state is out of date (from any thread). */
  void markDirty() {
    StateWriter w = stateWriter;
    if (w != null) {
      w.markDirty();
    }
  }

  /**
   * After the terminal event: the io thread drained and the event log closed, the hook removed,
   * the final save, every socket, the watcher and the lock released.
   */
  void close() {
    loop.drainIo(eventLog == null ? null : eventLog::close);
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
  }

  /** The state to save: one entry per child from its latest published snapshot. */
  private PersistedState persistedState() {
    List<PersistedState.Child> out = new ArrayList<>(children.size());
    for (ChildRunner r : children) {
      if (!r.retired) {
        out.add(r.snapshot.toPersisted(r.name()));
      }
    }
    return new PersistedState(PersistedState.SCHEMA_VERSION, engine.now(), Optional.ofNullable(self), out,
        Optional.ofNullable(handedOverAt));
  }

  private void releaseLock() {
    if (pidLock != null) {
      pidLock.close();
      pidLock = null;
    }
  }
}
