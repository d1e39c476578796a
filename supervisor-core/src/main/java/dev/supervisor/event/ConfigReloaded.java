package dev.supervisor.event;

import java.time.Instant;
import java.util.List;

/**
 * A reload applied a new set of children ({@code Supervisor.reload}): the names added (started),
 * removed (stopped), restarted (their spec changed) and left alone, instance names included.
 */
public record ConfigReloaded(Instant at, List<String> added, List<String> removed, List<String> restarted, List<String> unchanged)
    implements SupervisorEvent {
  public ConfigReloaded {
    added = List.copyOf(added);
    removed = List.copyOf(removed);
    restarted = List.copyOf(restarted);
    unchanged = List.copyOf(unchanged);
  }
}
