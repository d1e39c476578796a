package dev.supervisor;

import dev.supervisor.event.SupervisorEvent;

/**
 * Receives every event of a supervisor, in order, on the executor given at registration; never
 * under a supervisor lock. An exception thrown here is logged and does not affect supervision.
 */
@FunctionalInterface
public interface SupervisorListener {
  void onEvent(SupervisorEvent event);
}
