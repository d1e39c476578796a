package dev.supervisor.event;

import java.time.Instant;
import java.util.List;

/** The probe child {@code probe} stayed up: the breaker closed and {@code released} children start again. */
public record StormBreakerClosed(Instant at, String probe, List<String> released) implements SupervisorEvent {
  public StormBreakerClosed {
    released = List.copyOf(released);
  }
}
