package dev.supervisor.internal.engine;

import dev.supervisor.Durations;
import dev.supervisor.ExitStatus;
import dev.supervisor.persist.ProcessSignature;
import dev.supervisor.spi.LaunchedProcess;
import dev.supervisor.spi.TimerClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionException;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process of a child's current run, as its state machine uses it: spawned or adopted, its
 * exit watched, its stop signal and grace, what is left of its group once the leader is gone,
 * its {@code /proc} samples, and letting go of it at a hand-over. The state machine decides
 * when; this does it. Loop-confined, except {@link #forceKill}, which the closing thread calls
 * when the loop may be stuck (the handle is volatile for it).
 */
final class LiveProcess {
  private static final Logger log = LoggerFactory.getLogger(ChildRunner.class);

  private final Engine engine;
  private final ChildMachine owner;
  private volatile LaunchedProcess handle;
  private ProcessSignature signature;
  private boolean adopted;
  private TimerClock.Timer graceTimer;
  private Instant graceDeadline;
  /** Sampled from /proc while the run lives; reset at each spawn. */
  private final RunSampler sampler = new RunSampler();

  LiveProcess(Engine engine, ChildMachine owner) {
    this.engine = engine;
    this.owner = owner;
  }

  /**
   * The run has this process now, spawned ({@code adopted} false) or taken over from a previous
   * supervisor. Its exit reaches {@code onExit} on the loop, with the process it belongs to: the
   * one way an exit reaches the state machine.
   */
  void attach(LaunchedProcess p, boolean adopted, BiConsumer<LaunchedProcess, ExitStatus> onExit) {
    handle = p;
    signature = p.signature().orElse(null);
    this.adopted = adopted;
    p.onExitStatus().whenCompleteAsync((status, err) -> onExit.accept(p, status != null ? status
        : ExitStatus.unknown("its exit could not be observed: " + unobserved(err))), engine.loop());
  }

  /** A spawn begins: the samples start again (a start that fails has none). */
  void newRun() {
    sampler.reset();
  }

  /** The run is over: no process any more. */
  void detached() {
    handle = null;
    signature = null;
    adopted = false;
  }

  boolean present() {
    return handle != null;
  }

  /** Its pid; only while {@link #present}. */
  long pid() {
    return handle.pid();
  }

  OptionalLong livePid() {
    LaunchedProcess h = handle;
    return h != null ? OptionalLong.of(h.pid()) : OptionalLong.empty();
  }

  Optional<ProcessSignature> signature() {
    return Optional.ofNullable(signature);
  }

  Optional<Path> cgroup() {
    LaunchedProcess h = handle;
    return h != null ? h.cgroup() : Optional.empty();
  }

  /** Spawned by this supervisor (so with its parent-death signal, when it gives one); an adopted one never is. */
  boolean spawnedHere() {
    return handle != null && !adopted;
  }

  /** Sends the stop signal to the group; SIGKILL after {@code grace} if {@code stillStopping} then. */
  void signalStop(String signal, Duration grace, BooleanSupplier stillStopping) {
    graceDeadline = engine.now().plus(grace);
    handle.signalGroup(signal);
    graceTimer = engine.schedule(() -> {
      if (stillStopping.getAsBoolean()) {
        log.warn("child '{}' (pid {}) did not stop within {} after SIG{}: sending SIGKILL to its process group{}",
            owner.name(), handle.pid(), Durations.format(grace), signal, handle.cgroup().isPresent() ? " and cgroup" : "");
        handle.signalGroup("KILL");
      }
    }, grace);
  }

  void cancelGrace() {
    if (graceTimer != null) {
      graceTimer.cancel();
      graceTimer = null;
    }
  }

  /**
   * After a crash (not a requested stop): what is left of {@code p}'s group or cgroup is
   * SIGKILLed, off the loop. An adopted process was seen gone through its pidfd, or (polled by
   * its start time) up to 200 ms late: its pid may name another process by now, so nothing is
   * signalled by pid; release() still kills what is left in its own cgroup.
   */
  void reapCrashed(LaunchedProcess p) {
    if (adopted) {
      engine.io().execute(p::release);
      return;
    }
    engine.io().execute(() -> {
      List<Long> left = p.groupMembers();
      if (!left.isEmpty()) {
        log.warn("child '{}' exited but its processes {} remain ({}): killing them", owner.name(), left,
            p.cgroup().map(c -> "cgroup " + c).orElse("process group " + p.pid()));
        p.signalGroup("KILL");
      }
      p.release();
    });
  }

  /**
   * During a requested stop, the leader is gone: waits for the rest of its group (SIGKILL once
   * the grace is over), then runs {@code whenEmpty} on the loop, unless {@code stillStopping}
   * no longer holds.
   */
  void awaitGroupEmpty(LaunchedProcess p, BooleanSupplier stillStopping, Runnable whenEmpty) {
    awaitGroupEmpty(p, stillStopping, whenEmpty, false);
  }

  private void awaitGroupEmpty(LaunchedProcess p, BooleanSupplier stillStopping, Runnable whenEmpty, boolean killed) {
    engine.io().execute(() -> {
      boolean members = !p.groupMembers().isEmpty();
      if (!members) {
        p.release(); // its cgroup goes before the child counts as stopped
      }
      engine.loop().execute(() -> {
        if (!stillStopping.getAsBoolean()) {
          return;
        }
        if (!members) {
          cancelGrace();
          whenEmpty.run();
          return;
        }
        boolean kill = killed;
        if (!killed && !engine.now().isBefore(graceDeadline)) {
          log.warn("child '{}' exited but processes of its {} remain after the grace period: SIGKILL", owner.name(),
              p.cgroup().map(c -> "cgroup " + c).orElse("group " + p.pid()));
          p.signalGroup("KILL");
          kill = true;
        }
        boolean k = kill;
        engine.poll(() -> awaitGroupEmpty(p, stillStopping, whenEmpty, k), Duration.ofMillis(20));
      });
    });
  }

  /** Hand-over: the process is left alone (not signalled, its cgroup kept); returns its pid when {@code alive}. */
  OptionalLong letGo(boolean alive) {
    cancelGrace();
    LaunchedProcess h = handle;
    if (h != null) {
      h.stopWatching();
    }
    return h != null && alive ? OptionalLong.of(h.pid()) : OptionalLong.empty();
  }

  /** SIGKILL to the group now, without a grace, when {@code alive} (a shutdown that timed out; any thread). */
  void forceKill(boolean alive) {
    LaunchedProcess h = handle; // one read: the loop may replace it meanwhile
    if (h != null && alive) {
      h.killGroupAndWait();
    }
  }

  /** Samples the live process's cpu time and rss ({@link RunSampler}). */
  void sample(Instant now) {
    if (handle != null) {
      sampler.sample(handle.pid(), now);
    }
  }

  OptionalLong peakRss() {
    return sampler.peakRss();
  }

  Optional<Duration> cpu() {
    return sampler.cpu();
  }

  /** Why an exit future failed, in words (rather than a made-up exit code). */
  private static String unobserved(Throwable err) {
    Throwable t = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    return t == null ? "no exit value" : t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }
}
