package dev.supervisor.internal.engine;

import dev.supervisor.Durations;
import dev.supervisor.Supervisor;
import dev.supervisor.SupervisorState;
import dev.supervisor.event.SupervisorStateChanged;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The supervisor's own state (NEW, STARTING, RUNNING, STOPPING, then TERMINATED or FAILED), the
 * first internal error, and the monitor every blocking call waits on. The state is written under
 * the monitor and read without it (volatile); each write, and each {@link #wake}, wakes the
 * waiters, who check again what they wait for.
 */
final class Lifecycle {
  private static final Logger log = LoggerFactory.getLogger(Supervisor.class);

  private final Engine engine;
  private final Object monitor = new Object();
  private volatile SupervisorState state = SupervisorState.NEW;
  private volatile Throwable failureCause;

  Lifecycle(Engine engine) {
    this.engine = engine;
  }

  /** The lock under which the state changes, and the child table and the instance counts with it. */
  Object monitor() {
    return monitor;
  }

  SupervisorState state() {
    return state;
  }

  Optional<Throwable> failureCause() {
    return Optional.ofNullable(failureCause);
  }

  /** Keeps the first internal error (the cause a FAILED supervisor reports). */
  void failedWith(Throwable e) {
    if (failureCause == null) {
      failureCause = e;
    }
  }

  /** Publishes {@code to} and emits its event. */
  void set(SupervisorState to, String cause) {
    SupervisorState from = publish(to, cause);
    engine.emit(new SupervisorStateChanged(engine.now(), from, to, Optional.ofNullable(cause)));
  }

  /** Publishes {@code to} without an event (the caller emitted it); returns the state before. */
  SupervisorState publish(SupervisorState to, String cause) {
    SupervisorState from;
    synchronized (monitor) {
      from = state;
      state = to;
      monitor.notifyAll();
    }
    log.info("supervisor {} -> {}{}", from, to, cause == null ? "" : " (" + cause + ")");
    return from;
  }

  /** Wakes every waiter: something they may wait for was published. */
  void wake() {
    synchronized (monitor) {
      monitor.notifyAll();
    }
  }

  /**
   * Waits until {@code done} holds, checked again after every published change.
   *
   * @return false if {@code deadlineNanos} ({@link System#nanoTime()}) came first
   */
  boolean awaitUntil(BooleanSupplier done, long deadlineNanos) throws InterruptedException {
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

  /** As {@link Supervisor#awaitHealthy}: the {@link HealthGate} decides, and names who is late. */
  void awaitHealthy(Duration timeout, List<ChildRunner> children) throws TimeoutException, InterruptedException {
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

  /** As {@link Supervisor#awaitStopped}: the timeout names the children still alive. */
  void awaitTerminal(Duration timeout, List<ChildRunner> children) throws TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (monitor) {
      while (!state.isTerminal()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) { // said under the monitor, so the state it names is the one that timed out
          List<String> busy = new ArrayList<>();
          for (ChildRunner r : children) {
            ChildSnapshot c = r.snapshot;
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

  /** Waits up to {@code millis}, or until the next published change, whichever comes first. */
  void awaitChange(long millis) throws InterruptedException {
    synchronized (monitor) {
      TimeUnit.MILLISECONDS.timedWait(monitor, millis);
    }
  }
}
