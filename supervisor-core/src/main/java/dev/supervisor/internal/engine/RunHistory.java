package dev.supervisor.internal.engine;

import dev.supervisor.RestartContext;
import dev.supervisor.RestartDecision;
import dev.supervisor.RestartPolicy;
import dev.supervisor.RunRecord;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a child's restart policy decides from: its recent runs and automatic restarts (at most
 * {@link RestartContext#HISTORY_LIMIT} of each, cleared when an operator starts it), and the
 * decision itself, made safe (a policy that throws or returns null gives up on the child rather
 * than break the supervisor). Loop-confined.
 */
final class RunHistory {
  private static final Logger log = LoggerFactory.getLogger(RunHistory.class);

  private final Deque<RunRecord> runs = new ArrayDeque<>();
  private final Deque<Instant> restarts = new ArrayDeque<>();

  void ended(RunRecord run) {
    runs.addLast(run);
    while (runs.size() > RestartContext.HISTORY_LIMIT) {
      runs.removeFirst();
    }
  }

  void restarted(Instant at) {
    restarts.addLast(at);
    while (restarts.size() > RestartContext.HISTORY_LIMIT) {
      restarts.removeFirst();
    }
  }

  /** An operator start: the policy starts afresh. */
  void clear() {
    runs.clear();
    restarts.clear();
  }

  List<RunRecord> runs() {
    return List.copyOf(runs);
  }

  /** Un-requested exits at the end of the history. */
  int consecutiveFailures() {
    int n = 0;
    for (Iterator<RunRecord> it = runs.descendingIterator(); it.hasNext(); ) {
      if (!it.next().exit().isFailure()) {
        break;
      }
      n++;
    }
    return n;
  }

  /** What {@code policy} decides for child {@code name} now; never null, never throws. */
  RestartDecision decide(String name, RestartPolicy policy, Instant now) {
    RestartContext ctx = RestartContext.of(name, now, List.copyOf(runs), List.copyOf(restarts));
    try {
      RestartDecision d = policy.decide(ctx);
      return d != null ? d : RestartDecision.giveUp("restart policy " + policy + " returned null");
    } catch (RuntimeException e) {
      log.error("restart policy of child '{}' threw; giving up on the child", name, e);
      return RestartDecision.giveUp("restart policy threw " + e);
    }
  }
}
