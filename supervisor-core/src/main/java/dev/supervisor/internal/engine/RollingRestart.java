package dev.supervisor.internal.engine;

import dev.supervisor.ChildState;
import dev.supervisor.Durations;
import dev.supervisor.Supervisor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Supervisor#rollingRestart(Duration)}: the children one at a time, in start order, each
 * only after the previous one is up again; on the caller's thread.
 */
final class RollingRestart {
  private static final Logger log = LoggerFactory.getLogger(RollingRestart.class);

  private RollingRestart() {}

  static List<String> run(List<ChildRunner> children, Commands commands, Duration perChild) throws TimeoutException, InterruptedException {
    List<String> done = new ArrayList<>();
    for (int i = 0; i < children.size(); i++) {
      ChildRunner r = children.get(i);
      ChildSnapshot before = r.snapshot;
      boolean up = before.state() == ChildState.READY || (before.state() == ChildState.RUNNING && !r.spec.hasReadiness());
      if (r.retired || !up || !before.desiredRunning()) {
        continue;
      }
      log.info("rolling restart: restarting '{}' ({} of {})", r.name(), i + 1, children.size());
      commands.restart(r.name());
      boolean settled = commands.awaitUntil(() -> r.upAgainAfter(before.runId()) || r.snapshot.state() == ChildState.FATAL,
          System.nanoTime() + perChild.toNanos());
      if (!settled || !r.upAgainAfter(before.runId())) {
        ChildSnapshot now = r.snapshot;
        List<String> untouched = children.subList(i + 1, children.size()).stream().filter(c -> !c.retired).map(ChildRunner::name)
            .toList();
        throw new TimeoutException("rolling restart stopped at '" + r.name() + "': it did not come back " + r.upState() + " within "
            + Durations.format(perChild) + " (it is " + now.state() + now.reason().map(x -> ": " + x).orElse("") + "); restarted: "
            + (done.isEmpty() ? "none" : String.join(", ", done)) + "; untouched: "
            + (untouched.isEmpty() ? "none" : String.join(", ", untouched)));
      }
      done.add(r.name());
    }
    return done;
  }
}
