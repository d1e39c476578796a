package dev.supervisor.internal;

import dev.supervisor.persist.ProcessSignature;
import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exits of processes this JVM did not start (adopted from a previous supervisor), which it
 * cannot wait for. With the FFM process layer ({@link NativeSignals}, JDK 22+): a pidfd per
 * process in the one epoll set of {@link ExitWatch}, so an exit is seen when it happens.
 * Otherwise (JDK 17, {@code -Dsupervisor.processLayer=jdk}, or a kernel that refuses pidfds, said
 * once at WARN): each process is polled every 200 ms against its start time.
 */
final class AdoptedExits {
  private static final Logger log = LoggerFactory.getLogger(AdoptedExits.class);
  /** How often an adopted process is looked at without pidfds. */
  static final long POLL_MILLIS = 200;

  private static final AtomicLong PIDFD_EXITS = new AtomicLong();
  private static final AtomicBoolean WARNED = new AtomicBoolean();

  private AdoptedExits() {}

  private static final class Holder {
    static final ScheduledExecutorService POLLER =
        Executors.newSingleThreadScheduledExecutor(Threads.named("supervisor-adopted-poll", true));
  }

  /** How many adopted exits were seen through a pidfd in this JVM (for tests and benchmarks). */
  static long pidfdExits() {
    return PIDFD_EXITS.get();
  }

  /** Runs {@code onGone} (once, on a watch thread) when {@code process} has exited. */
  static ExitWatch.Watch watch(ProcessSignature process, Runnable onGone) {
    AtomicBoolean done = new AtomicBoolean();
    Runnable once = () -> {
      if (done.compareAndSet(false, true)) {
        onGone.run();
      }
    };
    java.util.Optional<ExitWatch.Pidfds> pidfds = ExitWatch.pidfds();
    if (pidfds.isEmpty() && NativeSignals.active() && WARNED.compareAndSet(false, true)) {
      log.warn("adopted children: {}; their exits are polled every {} ms", ExitWatch.whyNot(), POLL_MILLIS);
    }
    if (pidfds.isPresent()) {
      try {
        ExitWatch.Watch w = pidfds.get().watch(process.pid(), () -> {
          PIDFD_EXITS.incrementAndGet();
          once.run();
        });
        if (!process.isAlive()) { // gone (or its pid reused) between the check and pidfd_open
          w.cancel();
          once.run();
        }
        return () -> {
          done.set(true); // a callback already under way reports nothing after this
          w.cancel();
        };
      } catch (ExitWatch.Gone e) {
        once.run();
        return () -> done.set(true);
      } catch (IOException | RuntimeException e) {
        if (WARNED.compareAndSet(false, true)) {
          log.warn("adopted children: {}; their exits are polled every {} ms", e.getMessage(), POLL_MILLIS);
        }
      }
    }
    ScheduledFuture<?> poll = Holder.POLLER.scheduleWithFixedDelay(() -> {
      if (!process.isAlive()) {
        once.run();
        throw new IllegalStateException("gone"); // ends this poll (a periodic task that throws is not run again)
      }
    }, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
    return () -> {
      done.set(true);
      poll.cancel(false);
    };
  }
}
