package dev.supervisor.testing;

import dev.supervisor.ExitStatus;
import dev.supervisor.RestartContext;
import dev.supervisor.RestartDecision;
import dev.supervisor.RestartPolicy;
import dev.supervisor.RunRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A restart policy walked through runs the way a supervisor would: each {@link #run} lasts its
 * uptime on a {@link ManualClock}, ends with an exit, and the policy decides; a RESTART moves
 * the clock on by the delay and counts as a restart, exactly as the supervisor records them.
 * Not threadsafe.
 *
 * <pre>{@code
 * PolicyScenario s = PolicyScenario.of(RestartPolicy.standard());
 * assertThat(s.crash().delay()).hasValue(Duration.ofSeconds(1));
 * assertThat(s.crash().delay()).hasValue(Duration.ofSeconds(2));
 * }</pre>
 */
public final class PolicyScenario {
  private final RestartPolicy policy;
  private final ManualClock clock;
  private final List<RunRecord> history = new ArrayList<>();
  private final List<Instant> restarts = new ArrayList<>();
  private long runId;
  private boolean automatic;

  private PolicyScenario(RestartPolicy policy, ManualClock clock) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public static PolicyScenario of(RestartPolicy policy) {
    return new PolicyScenario(policy, ManualClock.start());
  }

  public static PolicyScenario of(RestartPolicy policy, ManualClock clock) {
    return new PolicyScenario(policy, clock);
  }

  /** A run that lasts {@code uptime} and ends with {@code exit}; returns the policy's decision. */
  public RestartDecision run(Duration uptime, ExitStatus exit) {
    Instant started = clock.instant();
    clock.advance(uptime);
    history.add(new RunRecord(++runId, started, clock.instant(), exit, automatic));
    if (history.size() > RestartContext.HISTORY_LIMIT) {
      history.remove(0);
    }
    RestartDecision d = policy.decide(RestartContext.of("child", clock.instant(), history, restarts));
    if (d.action() == RestartDecision.Action.RESTART) {
      restarts.add(clock.instant());
      if (restarts.size() > RestartContext.HISTORY_LIMIT) {
        restarts.remove(0);
      }
      clock.advance(d.delay().orElseThrow());
      automatic = true;
    } else {
      automatic = false;
    }
    return d;
  }

  /** A run that crashes (exit code 1) at once. */
  public RestartDecision crash() {
    return run(Duration.ZERO, ExitStatus.exited(1));
  }

  /** A run that lasts {@code uptime}, then crashes with exit code 1. */
  public RestartDecision crashAfter(Duration uptime) {
    return run(uptime, ExitStatus.exited(1));
  }

  /** An operator starts the child again: the history is cleared, as the supervisor clears it. */
  public PolicyScenario operatorRestart() {
    history.clear();
    restarts.clear();
    automatic = false;
    return this;
  }

  /** Time passes with the child down or not yet started again. */
  public PolicyScenario idle(Duration d) {
    clock.advance(d);
    return this;
  }

  public ManualClock clock() {
    return clock;
  }

  /** The runs so far, oldest first. */
  public List<RunRecord> history() {
    return List.copyOf(history);
  }
}
