package dev.supervisor.internal.engine;

import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.ChildView;
import dev.supervisor.Durations;
import dev.supervisor.HealthCheck;
import dev.supervisor.HealthResult;
import dev.supervisor.event.HealthCheckFailed;
import dev.supervisor.spi.TimerClock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One child's readiness and health probes: when the next check is due (on the supervisor's
 * clock), running it on a probe thread within its timeout, and what its result means (READY, a
 * failure counted, a kill when readiness times out or failures reach the limit). The state
 * machine hears only "ready" and "unhealthy". Loop-confined, but for the check itself.
 */
final class Probes {
  private static final Logger log = LoggerFactory.getLogger(Probes.class);

  private final Engine engine;
  private final ChildRunner child;
  private TimerClock.Timer timer;
  private int failures;
  private Instant readinessDeadline;

  Probes(Engine engine, ChildRunner child) {
    this.engine = engine;
    this.child = child;
  }

  /** A run came up RUNNING with a readiness probe: check until READY or its timeout. */
  void awaitReadiness() {
    ChildSpec.Readiness r = child.spec().readiness().orElseThrow();
    failures = 0;
    readinessDeadline = engine.now().plus(r.timeout());
    schedule(r.interval());
  }

  /** The run is up: health checks begin after their start grace, if it has any. */
  void startHealth() {
    failures = 0;
    child.spec().health().ifPresent(h -> schedule(h.startGrace()));
  }

  /** The run is stopping or over: no further check. */
  void cancel() {
    if (timer != null) {
      timer.cancel();
      timer = null;
    }
  }

  private void schedule(Duration delay) {
    long run = child.runId();
    timer = engine.schedule(() -> run(run), delay);
  }

  private boolean current(long run) {
    ChildState s = child.state();
    return run == child.runId() && (s == ChildState.RUNNING || s == ChildState.READY);
  }

  private void run(long run) {
    if (!current(run)) {
      return;
    }
    ChildSpec spec = child.spec();
    boolean readiness = child.state() == ChildState.RUNNING && spec.readiness().isPresent();
    HealthCheck check = readiness ? spec.readiness().get().probe() : spec.health().get().check();
    Duration timeout = readiness ? spec.readiness().get().timeout() : spec.health().get().every();
    ChildView view = child.view();
    CompletableFuture.supplyAsync(() -> {
          try {
            return check.check(view);
          } catch (Exception e) {
            return HealthResult.unhealthy(e.getClass().getSimpleName() + ": " + e.getMessage());
          }
        }, engine.probes())
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .whenCompleteAsync((result, err) -> {
          HealthResult r = result != null ? result
              : HealthResult.unhealthy(err instanceof TimeoutException ? "check did not answer within " + Durations.format(timeout)
                  : String.valueOf(err));
          done(run, readiness, r);
        }, engine.loop());
  }

  private void done(long run, boolean readiness, HealthResult r) {
    if (!current(run)) {
      return;
    }
    ChildSpec spec = child.spec();
    if (readiness) {
      if (r.passed()) {
        child.probedReady();
      } else if (!engine.now().isBefore(readinessDeadline)) {
        String why = "not ready within " + Durations.format(spec.readiness().get().timeout()) + ": " + r.message();
        engine.emit(new HealthCheckFailed(engine.now(), child.name(), run, 1, 1, why));
        child.unhealthy(why);
      } else {
        schedule(spec.readiness().get().interval());
      }
      return;
    }
    ChildSpec.Health h = spec.health().get();
    if (r.passed()) {
      failures = 0;
    } else {
      failures++;
      engine.emit(new HealthCheckFailed(engine.now(), child.name(), run, failures, h.failuresToRestart(), r.message()));
      log.warn("child '{}' health check failed ({} of {}): {}", child.name(), failures, h.failuresToRestart(), r.message());
      if (failures >= h.failuresToRestart()) {
        child.unhealthy("health check failed " + failures + " times: " + r.message());
        return;
      }
    }
    schedule(h.every());
  }
}
