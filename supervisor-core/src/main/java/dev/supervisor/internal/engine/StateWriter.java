package dev.supervisor.internal.engine;

import dev.supervisor.event.StateStoreWriteFailed;
import dev.supervisor.persist.PersistedState;
import dev.supervisor.persist.StateStore;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves the supervisor's state on its own thread, coalescing: every change only marks the state
 * dirty; one write is in flight at most, and it takes the newest snapshot when it starts, so a
 * restart storm costs at most one write per {@link #MIN_INTERVAL_NANOS} (20 ms: 50 fsyncs a second),
 * not one per event, and the latest state is always written last. The price: a supervisor
 * SIGKILLed mid-storm may miss the last 20 ms of transitions in its file. A failed write is logged (ERROR once per failure streak), published as
 * an event, and retried at the next change or periodic flush.
 */
final class StateWriter {
  private static final Logger log = LoggerFactory.getLogger(StateWriter.class);
  private final StateStore store;
  private final Supplier<PersistedState> snapshot;
  private final Engine engine;
  private final ExecutorService thread;
  private final AtomicBoolean dirty = new AtomicBoolean();
  private final AtomicBoolean queued = new AtomicBoolean();
  private final AtomicLong writes = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private volatile boolean failing;
  /** Off until recovery has restored every child: a write before that would save half-restored counts. */
  private volatile boolean enabled;
  /** At most one write per 20 ms; a quiet supervisor writes at once. */
  static final long MIN_INTERVAL_NANOS = 20_000_000L;
  private long lastWriteNanos = System.nanoTime() - MIN_INTERVAL_NANOS;

  StateWriter(StateStore store, Supplier<PersistedState> snapshot, Engine engine, String threadName) {
    this.store = store;
    this.snapshot = snapshot;
    this.engine = engine;
    this.thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), dev.supervisor.internal.Threads.named(threadName, true));
  }

  /** Something changed: save soon. Cheap enough for every transition. */
  void markDirty() {
    dirty.set(true);
    if (enabled && queued.compareAndSet(false, true)) {
      try {
        thread.execute(this::drain);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        queued.set(false); // closed: the final save has been written
      }
    }
  }

  private void drain() {
    queued.set(false);
    while (dirty.get()) {
      long wait = lastWriteNanos + MIN_INTERVAL_NANOS - System.nanoTime();
      if (wait > 0) {
        java.util.concurrent.locks.LockSupport.parkNanos(wait); // coalesce: more changes may arrive meanwhile
      }
      dirty.set(false);
      writeOnce();
      lastWriteNanos = System.nanoTime();
    }
  }

  private void writeOnce() {
    try {
      store.save(snapshot.get());
      writes.incrementAndGet();
      if (failing) {
        failing = false;
        log.info("state saved again to {} after {} failed attempt(s)", store, failures.get());
      }
    } catch (IOException | RuntimeException e) {
      failures.incrementAndGet();
      String message = "cannot save supervisor state to " + store + ": " + e + "; supervising from memory, retrying at the next change or flush";
      if (!failing) {
        failing = true;
        log.error(message);
      } else {
        log.debug(message);
      }
      engine.emit(new StateStoreWriteFailed(engine.now(), message));
    }
  }

  /** Lets writes happen (after recovery) and writes the state now. */
  void enable() {
    enabled = true;
    markDirty();
  }

  /** Writes the current state now and waits (shutdown), then stops the thread. */
  void finalSaveAndClose() {
    if (!enabled) {
      thread.shutdown(); // never enabled: recovery did not finish, the saved state stays as it was
      return;
    }
    dirty.set(true);
    Future<?> f = thread.submit(this::drain);
    try {
      f.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.error("final state save did not complete: {}", e.toString());
    }
    thread.shutdown();
  }

  /** Successful writes so far. */
  long writes() {
    return writes.get();
  }
}
