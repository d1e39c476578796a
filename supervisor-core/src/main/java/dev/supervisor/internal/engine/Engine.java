package dev.supervisor.internal.engine;

import dev.supervisor.ExitStatus;
import dev.supervisor.RestartDecision;
import dev.supervisor.Strategy;
import dev.supervisor.Supervisor;
import dev.supervisor.event.SupervisorEvent;
import dev.supervisor.spi.ProcessLauncher;
import dev.supervisor.spi.TimerClock;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executor;

/**
 * What the engine's parts (a child's state machine, the storm breaker, the log faults, the state
 * writer, the file watcher, recovery, the rooms split off the supervisor) may ask of the
 * supervisor they belong to: time, timers, the loop, the other children, events. The parts hold
 * this, never the public {@link Supervisor}, and never read each other's fields through it.
 *
 * <p>Threads: every method may be called on the loop; {@link #now}, {@link #emit}, {@link
 * #changed}, {@link #loop}, {@link #io}, {@link #schedule} and {@link #poll} from any thread. See the thread
 * table in {@code docs/DESIGN-NOTES.md}.
 */
interface Engine {
  /** The supervisor's clock (the injected one in tests). */
  Instant now();

  /**
   * Runs {@code task} on the loop after {@code delay} of the supervisor's clock (on the clock's
   * timers when it is a {@link dev.supervisor.spi.TimerClock}); null once the supervisor has ended.
   */
  TimerClock.Timer schedule(Runnable task, Duration delay);

  /** Runs {@code task} on the loop after {@code delay} of real time: a poll of the operating system; null once ended. */
  TimerClock.Timer poll(Runnable task, Duration delay);

  /** The event loop: every state change of the engine happens on it. */
  Executor loop();

  /** The io thread (log rotation, incidents, the event log); inline after termination. */
  Executor io();

  /** The probe threads (readiness and health checks). */
  Executor probes();

  /** Queues {@code event} for every listener (each on its own executor, in order). */
  void emit(SupervisorEvent event);

  /** Wakes up the callers waiting on a state and marks the saved state dirty; after every published change. */
  void changed();

  /** Whether the supervisor's end has begun (a stop, a failure or a hand-over); safe from any thread. */
  boolean isShuttingDown();

  Strategy strategy();

  Breaker breaker();

  LogFaults logFaults();

  /** How often logs are looked at, at most. */
  Duration logCheckInterval();

  ProcessLauncher launcher();

  /** The environment children inherit from. */
  Map<String, String> hostEnv();

  /** Whether children get a parent-death signal. */
  boolean parentDeathSignal();

  /** Every child, in start order, retired instances included. */
  List<ChildRunner> runners();

  /** The child of that run name, or null. */
  ChildRunner runner(String name);

  /** Binds the child's notify socket again when its file went away (before a spawn, on the loop). */
  void ensureNotifySocket(ChildRunner r) throws IOException;

  /**
   * The listening sockets to pass to the next run of {@code r} (socket activation), bound now if
   * they are not yet; empty for a child without sockets. On the loop, before a spawn.
   *
   * @throws IOException naming the address that cannot be listened on, and why
   */
  List<Integer> listenFds(ChildRunner r) throws IOException;

  /** {@code r} is to adopt process {@code pid}: the sockets it holds from the supervisor before are taken back. On the loop. */
  void adopted(ChildRunner r, long pid);

  /** {@code up} became up: the children waiting for it may start. */
  void childUp(ChildRunner up);

  /** {@code r} has no process any more: shutdown goes on with the next one. */
  void childSettled(ChildRunner r);

  /** Applies the strategy to the restart {@code exited}'s policy decided. */
  void restartWithStrategy(ChildRunner exited, ExitStatus exit, Duration delay, String why);

  /** Records a crash or hang-kill as an incident (off the loop). */
  void recordIncident(ChildRunner r, Instant at, long runId, ExitStatus exit, Duration uptime, OptionalLong peakRss,
      Optional<Duration> cpu, RestartDecision decision);
}
