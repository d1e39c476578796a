package dev.supervisor.internal.engine;

import dev.supervisor.Supervisor;
import dev.supervisor.internal.Threads;
import dev.supervisor.spi.TimerClock;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The supervisor's threads: the event loop (one platform thread, where every change of the
 * engine's state happens, and which spawns every child), the io thread (log rotation, incidents,
 * the event log) and the probe threads (readiness and health checks). Timers run on the loop: on
 * the clock's own timers when it is a {@link TimerClock} (the test kit's {@code ManualClock}),
 * else in real time; polls of the operating system always in real time. A task that throws on
 * the loop is a bug: it is logged and handed to {@code onFailure} (the supervisor fails and stops
 * its children).
 */
final class EventLoop {
  private static final Logger log = LoggerFactory.getLogger(EventLoop.class);

  private final ScheduledThreadPoolExecutor loop;
  private final ThreadPoolExecutor io;
  private final ThreadPoolExecutor probes;
  private final Executor executor;
  /** Null: timers run in real time. */
  private final TimerClock timers;
  private final Consumer<Throwable> onFailure;
  /** The loop's thread, once it exists: the blocking calls refuse to run on it. */
  private volatile Thread thread;

  EventLoop(String name, Clock clock, Consumer<Throwable> onFailure) {
    this.onFailure = onFailure;
    this.timers = clock instanceof TimerClock t ? t : null;
    ThreadFactory loopThreads = Threads.named(name + "-loop", false);
    this.loop = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = loopThreads.newThread(r);
      thread = t;
      return t;
    });
    this.loop.setRemoveOnCancelPolicy(true);
    this.executor = task -> loop.execute(guard(task));
    this.io = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), Threads.named(name + "-io", true));
    this.probes = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), Threads.named(name + "-probe", true));
    this.probes.allowCoreThreadTimeOut(true);
  }

  /** Runs tasks on the loop; throws {@link RejectedExecutionException} once it has ended. */
  Executor executor() {
    return executor;
  }

  /** Runs {@code task} on the loop after {@code delay} of the supervisor's clock; null once the loop has ended. */
  TimerClock.Timer schedule(Runnable task, Duration delay) {
    if (timers == null || delay.isNegative() || delay.isZero()) {
      return poll(task, delay);
    }
    // The clock hands a due timer to the loop at once; a cancel() the loop makes before it runs
    // (an operator start cancelling a backoff) must still win, as it does for a real-time timer.
    AtomicBoolean cancelled = new AtomicBoolean();
    TimerClock.Timer onClock = timers.schedule(delay, () -> {
      try {
        executor.execute(() -> {
          if (!cancelled.get()) {
            task.run();
          }
        });
      } catch (RejectedExecutionException e) {
        // the supervisor has ended: the timer has nothing left to do
      }
    });
    return () -> {
      cancelled.set(true);
      onClock.cancel();
    };
  }

  /** Runs {@code task} on the loop after {@code delay} of real time (a poll of the world); null once the loop has ended. */
  TimerClock.Timer poll(Runnable task, Duration delay) {
    try {
      ScheduledFuture<?> f = loop.schedule(guard(task), Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
      return () -> f.cancel(false);
    } catch (RejectedExecutionException e) {
      return null;
    }
  }

  /** Runs {@code task} on the loop every {@code period} of real time, first after one period. */
  TimerClock.Timer everyRealTime(Runnable task, Duration period) {
    long every = period.toNanos();
    ScheduledFuture<?> f = loop.scheduleWithFixedDelay(guard(task), every, every, TimeUnit.NANOSECONDS);
    return () -> f.cancel(false);
  }

  /** Runs {@code task} on the loop every {@code period} of the supervisor's clock, first after one period. */
  TimerClock.Timer every(Runnable task, Duration period) {
    if (timers == null) {
      return everyRealTime(task, period);
    }
    Repeating r = new Repeating(task, period);
    r.arm();
    return r;
  }

  /** A repeating timer on the clock's timers: each run sets the next. */
  private final class Repeating implements TimerClock.Timer {
    private final Runnable task;
    private final Duration period;
    private volatile boolean cancelled;
    private volatile TimerClock.Timer next;

    Repeating(Runnable task, Duration period) {
      this.task = task;
      this.period = period;
    }

    void arm() {
      if (!cancelled) {
        next = schedule(() -> {
          if (!cancelled) {
            task.run();
            arm();
          }
        }, period);
      }
    }

    @Override
    public void cancel() {
      cancelled = true;
      TimerClock.Timer t = next;
      if (t != null) {
        t.cancel();
      }
    }
  }

  /** The io thread; runs the task inline once it has ended (a last write after termination). */
  Executor io() {
    return task -> {
      try {
        io.execute(task);
      } catch (RejectedExecutionException e) {
        task.run(); // after termination: do it inline
      }
    };
  }

  /** The io thread itself, for the listeners registered on it (the event log). */
  Executor ioThread() {
    return io;
  }

  Executor probes() {
    return probes;
  }

  boolean onLoopThread() {
    return Thread.currentThread() == thread;
  }

  /** The calls that wait for the loop cannot be made on it: a listener with a direct executor would deadlock the supervisor. */
  void notOnLoop(String call) {
    if (onLoopThread()) {
      throw new IllegalStateException("Supervisor." + call + " called on the supervisor's own event loop (a listener with a direct"
          + " executor?): it would wait for itself; register that listener with an executor of its own");
    }
  }

  /**
   * Runs {@code task} on the loop and waits for it (up to 30 s), as part of {@code what} ("the
   * reload"), which is {@code doing} ("reloading").
   *
   * @throws IllegalStateException if the loop has ended or is stuck (naming {@code state}), or the task failed
   */
  void run(Runnable task, Supplier<String> state, String what, String doing) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    try {
      executor.execute(() -> {
        try {
          task.run();
          f.complete(null);
        } catch (RuntimeException e) {
          f.completeExceptionally(e);
        }
      });
      f.get(30, TimeUnit.SECONDS);
    } catch (RejectedExecutionException | TimeoutException e) {
      throw new IllegalStateException("supervisor is " + state.get() + ": " + what + " cannot go on", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while " + doing, e);
    }
  }

  /**
   * Queues {@code last} on the io thread, ends it and the probes, and waits up to 5 s for what the
   * io thread still has to do (the event log, a last rotation).
   */
  void drainIo(Runnable last) {
    if (last != null) {
      io.execute(last);
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
  }

  /** Ends the loop after its queued tasks ({@code now}: at once, dropping its timers; it interrupts the calling loop thread). */
  void end(boolean now) {
    if (now) {
      loop.shutdownNow();
    } else {
      loop.shutdown();
    }
  }

  /** Ends every thread of a supervisor that never started. */
  void endAll() {
    loop.shutdown();
    probes.shutdownNow();
    io.shutdown();
  }

  /** Every loop task goes through here: an unexpected exception fails the supervisor (children are stopped). */
  private Runnable guard(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        log.error("internal error in the supervisor event loop; stopping all children", e);
        onFailure.accept(e);
      }
    };
  }
}
