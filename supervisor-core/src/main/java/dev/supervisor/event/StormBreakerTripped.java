package dev.supervisor.event;

import java.time.Instant;
import java.util.List;

/**
 * The storm breaker tripped: {@code crashed} children crashed within the window. Restarts pause
 * until one child (the probe) stays up for the probe period.
 */
public record StormBreakerTripped(Instant at, List<String> crashed, String breaker) implements SupervisorEvent {
  public StormBreakerTripped {
    crashed = List.copyOf(crashed);
  }
}
