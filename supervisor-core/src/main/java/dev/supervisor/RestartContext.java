package dev.supervisor;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/** What a {@link RestartPolicy} may look at. Immutable; built by the supervisor for each exit. */
public interface RestartContext {

  /** The child's name. */
  String name();

  /** The time of the decision (from the supervisor's clock). */
  Instant now();

  /**
   * The child's recent runs, oldest first, the run that just ended last. At most
   * {@link #HISTORY_LIMIT} runs; cleared when an operator starts or restarts the child.
   */
  List<RunRecord> history();

  /** Start times of the restarts the policy caused, oldest first, at most {@link #HISTORY_LIMIT}. */
  List<Instant> recentRestarts();

  /** How many runs and restarts the supervisor keeps for policies. */
  int HISTORY_LIMIT = 256;

  /** The run that just ended. */
  default RunRecord lastRun() {
    List<RunRecord> h = history();
    return h.get(h.size() - 1);
  }

  /** How the run that just ended exited. */
  default ExitStatus exit() {
    return lastRun().exit();
  }

  /** How long the run that just ended lasted. */
  default Duration lastUptime() {
    return lastRun().uptime();
  }

  /**
   * A context from explicit values, for testing policies.
   *
   * @throws IllegalArgumentException if {@code history} is empty
   */
  static RestartContext of(String name, Instant now, List<RunRecord> history, List<Instant> recentRestarts) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(now, "now");
    if (history.isEmpty()) {
      throw new IllegalArgumentException("history must hold at least the run that just ended");
    }
    List<RunRecord> h = List.copyOf(history);
    List<Instant> r = List.copyOf(recentRestarts);
    return new RestartContext() {
      @Override public String name() { return name; }
      @Override public Instant now() { return now; }
      @Override public List<RunRecord> history() { return h; }
      @Override public List<Instant> recentRestarts() { return r; }
      @Override public String toString() { return "RestartContext[" + name + ", " + exit() + ", runs=" + h.size() + "]"; }
    };
  }
}
