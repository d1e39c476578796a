package dev.supervisor;

import java.util.List;

/**
 * What {@link Supervisor#reload(List, java.time.Duration)} did, by run name (instances as
 * {@code web-0}, {@code web-1}): children started, stopped, restarted because their spec changed,
 * and left alone (same pid, same restart count).
 */
public record ReloadResult(List<String> added, List<String> removed, List<String> restarted, List<String> unchanged) {
  public ReloadResult {
    added = List.copyOf(added);
    removed = List.copyOf(removed);
    restarted = List.copyOf(restarted);
    unchanged = List.copyOf(unchanged);
  }

  /** True when the reload found nothing to do. */
  public boolean nothingChanged() {
    return added.isEmpty() && removed.isEmpty() && restarted.isEmpty();
  }
}
