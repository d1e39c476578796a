package dev.supervisor.internal.engine;

import dev.supervisor.ChildState;
import dev.supervisor.ExitStatus;
import dev.supervisor.Supervisor;
import dev.supervisor.SupervisorState;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What {@link Supervisor#awaitHealthy} waits for: every child that should run is up (READY when
 * it has readiness, else RUNNING), settled children aside (an operator stopped it, it exited
 * cleanly and is not restarted by design); and when that can no longer happen (a child FATAL, a
 * failure its policy does not restart, a supervisor not STARTING or RUNNING), it says so at once.
 * Reads only published state.
 */
final class HealthGate {
  private HealthGate() {}

  /** Null when healthy; the list of late children otherwise; throws when health is unreachable. */
  static String blocker(List<ChildRunner> children, SupervisorState s, Optional<Throwable> failureCause) {
    if (s != SupervisorState.STARTING && s != SupervisorState.RUNNING) {
      throw new IllegalStateException("supervisor is " + s + (s == SupervisorState.NEW ? ": call startAsync() first" : "")
          + failureCause.map(t -> " (" + t + ")").orElse(""));
    }
    List<String> late = new ArrayList<>();
    for (ChildRunner r : children) {
      ChildSnapshot c = r.snapshot;
      boolean desired = r.desiredRunning();
      if (!desired && !c.state().isAlive()) {
        continue; // stopped by an operator (or about to be)
      }
      if (r.pendingCommands.get() > 0) {
        late.add(r.name() + " " + c.state() + " (operator command pending)");
        continue;
      }
      switch (c.state()) {
        case READY:
          continue;
        case RUNNING:
          if (!r.spec.hasReadiness()) {
            continue;
          }
          break;
        case FATAL:
          throw new IllegalStateException("child '" + r.name() + "' is FATAL: " + c.reason().orElse("")
              + "; fix it, then restart it");
        case EXITED:
          if (c.lastExit().map(ExitStatus::isFailure).orElse(false)) {
            throw new IllegalStateException("child '" + r.name() + "' EXITED with " + c.lastExit().get()
                + " and its restart policy does not restart it");
          }
          continue;
        default:
          break;
      }
      late.add(r.name() + " " + c.state() + c.reason().map(x -> " (" + x + ")").orElse("")
          + c.lastExit().filter(x -> c.state() == ChildState.BACKOFF).map(x -> " after " + x).orElse(""));
    }
    return late.isEmpty() ? null : String.join(", ", late);
  }
}
