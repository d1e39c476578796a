package dev.supervisor.internal.engine;

import dev.supervisor.ChildState;
import dev.supervisor.Durations;
import dev.supervisor.HandOver;
import dev.supervisor.Supervisor;
import dev.supervisor.SupervisorState;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Supervisor#handOver}: the supervisor ends and leaves every child running for the next
 * one on the same home to adopt. Refused while a child was started with a parent-death signal
 * (it would die with this process); waits, up to the timeout, for a child that is stopping. The
 * check and the hand-over are one loop task, so no child changes between them.
 */
final class HandOff {
  private static final Logger log = LoggerFactory.getLogger(Supervisor.class);

  private final Engine engine;
  private final Lifecycle life;
  private final Shutdown shutdown;
  private final Session session;
  private final List<ChildRunner> children;
  private final Path home;
  /** Closes the engine down into TERMINATED with this cause, leaving the children alone. */
  private final Consumer<String> closeDown;

  HandOff(Engine engine, Lifecycle life, Shutdown shutdown, Session session, List<ChildRunner> children, Path home,
      Consumer<String> closeDown) {
    this.engine = engine;
    this.life = life;
    this.shutdown = shutdown;
    this.session = session;
    this.children = children;
    this.home = home;
    this.closeDown = closeDown;
  }

  /**
   * Off the loop, not during a reload (the caller holds the reload lock); {@code deadline}
   * ({@link System#nanoTime()}) was set before that lock was taken, so a reload's time counts.
   */
  HandOver run(Duration timeout, long deadline) throws TimeoutException, InterruptedException {
    while (true) {
      CompletableFuture<HandOver> f = new CompletableFuture<>();
      try {
        engine.loop().execute(() -> {
          try {
            f.complete(onLoop());
          } catch (RuntimeException e) {
            f.completeExceptionally(e);
          }
        });
        HandOver done = f.get(30, TimeUnit.SECONDS);
        if (done != null) {
          return done;
        }
      } catch (RejectedExecutionException e) {
        throw new IllegalStateException("a hand-over needs a running supervisor; it is " + life.state());
      } catch (ExecutionException e) {
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
      life.awaitChange(50); // a stop in progress: its grace decides; every state change wakes this
    }
  }

  /** The hand-over itself, on the loop; null while a child is still stopping. */
  private HandOver onLoop() {
    if (life.state() != SupervisorState.RUNNING || shutdown.begun()) {
      throw new IllegalStateException("a hand-over needs a running supervisor; it is " + life.state());
    }
    List<String> bound = new ArrayList<>();
    for (ChildRunner r : children) {
      if (r.retired) {
        continue;
      }
      if (r.snapshot.state() == ChildState.STOPPING) {
        return null;
      }
      if (engine.parentDeathSignal() && r.diesWithParent()) {
        bound.add(r.name());
      }
    }
    if (!bound.isEmpty()) {
      throw new IllegalStateException("cannot hand over: " + String.join(", ", bound) + (bound.size() == 1 ? " was" : " were")
          + " started with a parent-death signal and would die with this supervisor; build it with"
          + " recovery(OrphanPolicy.ADOPT) or parentDeathSignal(false) (agentd: --orphans adopt) to hand children over");
    }
    shutdown.handedOver();
    session.cancelTimers();
    Map<String, Long> running = new LinkedHashMap<>();
    for (ChildRunner r : children) {
      if (!r.retired) {
        r.detach().ifPresent(pid -> running.put(r.name(), pid));
      }
    }
    Instant at = engine.now();
    session.handedOver(at);
    String cause = "handed over: " + running.size() + (running.size() == 1 ? " child" : " children")
        + " left running for the next supervisor on " + home + " to adopt";
    log.info("{}: {}", cause, running);
    closeDown.accept(cause);
    return new HandOver(at, ProcessHandle.current().pid(), running);
  }
}
