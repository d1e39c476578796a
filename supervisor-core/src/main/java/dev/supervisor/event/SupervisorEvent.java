package dev.supervisor.event;

import java.time.Instant;

/** Something that happened in a supervisor. Immutable; delivered to listeners and the event log. */
public sealed interface SupervisorEvent
    permits ChildStateChanged, RestartScheduled, ChildGaveUp, ChildStartFailed, HealthCheckFailed, SupervisorStateChanged,
        StateStoreWriteFailed, StormBreakerTripped, StormBreakerClosed,
        WatchTriggered, LogWriteFailed, LogWriteRecovered {

  /** When it happened (supervisor clock). */
  Instant at();

  /** A short type name for logs and JSON ({@code "ChildStateChanged"}). */
  default String type() {
    return getClass().getSimpleName();
  }
}
