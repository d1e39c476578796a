package dev.supervisor;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link Supervisor#handOver(Duration)} left behind: the children still running, recorded in
 * the state file for the next supervisor on the same home to adopt.
 *
 * @param at when the supervisor ended
 * @param supervisorPid the pid of the supervisor that ended (the process itself may still be exiting)
 * @param running each child left running and its pid, in start order; children without a process
 *     (stopped, in backoff, FATAL) are not listed: the successor treats them as their saved state says
 */
public record HandOver(Instant at, long supervisorPid, Map<String, Long> running) {
  public HandOver {
    Objects.requireNonNull(at, "at");
    running = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(running));
  }
}
