package dev.supervisor;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * What a {@link RestartPolicy} would do if a child crashed again and again, each run lasting
 * {@code uptime}: the delay before each restart and the crash at which it would give up.
 * Found by running the policy itself on a simulated history, so it holds for any policy, not
 * only the standard one. Immutable.
 *
 * <pre>{@code
 * RestartPolicy.standard().explain(Duration.ZERO, 10).text()
 * // crash 1 at 0s: restart in 1s; crash 2 at 1s: restart in 2s; ... crash 6 at 31s: FATAL (5 restarts in 60s)
 * }</pre>
 *
 * @param policy the policy's {@code toString}
 * @param uptime how long each simulated run lasted
 * @param steps one per simulated crash, in order
 * @param fatalAtCrash the crash (1-based) at which the policy gives up, if it does within the steps
 */
public record RestartExplanation(String policy, Duration uptime, List<Step> steps, OptionalInt fatalAtCrash) {

  /**
   * One simulated crash.
   *
   * @param crash 1-based
   * @param at time since the first start at which this run ended
   * @param decision what the policy decided
   */
  public record Step(int crash, Duration at, RestartDecision decision) {
    public Step {
      Objects.requireNonNull(at, "at");
      Objects.requireNonNull(decision, "decision");
    }
  }

  public RestartExplanation {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(uptime, "uptime");
    steps = List.copyOf(steps);
    Objects.requireNonNull(fatalAtCrash, "fatalAtCrash");
  }

  /** The delays before each restart, in order (as many as there were restarts). */
  public List<Duration> delays() {
    return steps.stream().filter(s -> s.decision().delay().isPresent()).map(s -> s.decision().delay().get()).toList();
  }

  /** In words, one line per crash, ending with the give-up (or that none came). */
  public String text() {
    StringBuilder sb = new StringBuilder();
    sb.append("policy ").append(policy).append('\n');
    sb.append("if the child crashed ").append(uptime.isZero() ? "right after each start" : Durations.format(uptime) + " after each start")
        .append(":\n");
    for (Step s : steps) {
      sb.append("  crash ").append(s.crash()).append(" at ").append(Durations.format(s.at())).append(": ");
      switch (s.decision().action()) {
        case RESTART -> sb.append("restart in ").append(Durations.format(s.decision().delay().orElseThrow()));
        case GIVE_UP -> sb.append("FATAL, gives up (").append(s.decision().reason()).append(")");
        case NO_RESTART -> sb.append("not restarted (").append(s.decision().reason()).append(")");
      }
      sb.append('\n');
    }
    if (fatalAtCrash.isPresent()) {
      sb.append("it would be FATAL at crash ").append(fatalAtCrash.getAsInt()).append(", ")
          .append(Durations.format(steps.get(steps.size() - 1).at())).append(" after the first start");
    } else if (!steps.isEmpty() && steps.get(steps.size() - 1).decision().action() == RestartDecision.Action.NO_RESTART) {
      sb.append("it would stay EXITED after crash ").append(steps.size());
    } else {
      sb.append("it would not give up within ").append(steps.size()).append(" crashes");
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return text();
  }
}
