package dev.supervisor;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What happened when a child crashed or was killed as hung: kept under
 * {@code <home>/incidents/<name>.jsonl}, the newest {@code incidentsKept} per child (default
 * 100), read with {@link Supervisor#incidents(String)}.
 *
 * @param at when the run ended
 * @param name the child
 * @param runId the run that ended
 * @param exit how it ended (code or signal, and why when the supervisor killed it)
 * @param uptime how long the run lasted
 * @param lastLines the last lines of the child's log (up to 50; empty when it does not log)
 * @param peakRssBytes the highest resident memory of its main process seen while it ran (sampled
 *     from {@code /proc}: within a second of the start, then every 30 s); empty when it died before the first sample
 * @param cpuTime its user + system CPU time at the last sample
 * @param decision what the supervisor did: {@code RESTART}, {@code GIVE_UP} or {@code NO_RESTART}
 * @param restartDelay the delay before the restart, for RESTART
 * @param reason the decision in words ("exit code 3, attempt 2: restart in 2s")
 */
public record Incident(Instant at, String name, long runId, ExitStatus exit, Duration uptime, List<String> lastLines,
    OptionalLong peakRssBytes, Optional<Duration> cpuTime, RestartDecision.Action decision, Optional<Duration> restartDelay,
    String reason) {
  /** Log lines kept with each incident. */
  public static final int LINES = 50;

  public Incident {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(exit, "exit");
    Objects.requireNonNull(uptime, "uptime");
    lastLines = List.copyOf(lastLines);
    Objects.requireNonNull(peakRssBytes, "peakRssBytes");
    Objects.requireNonNull(cpuTime, "cpuTime");
    Objects.requireNonNull(decision, "decision");
    Objects.requireNonNull(restartDelay, "restartDelay");
    Objects.requireNonNull(reason, "reason");
  }

  /** One line for lists: {@code 2026-11-23T03:00:00Z validator run 4: signal KILL after 12s; restart in 1s}. */
  public String summary() {
    return at + " " + name + " run " + runId + ": " + exit + " after " + Durations.format(uptime) + "; "
        + switch (decision) {
          case RESTART -> "restart in " + Durations.format(restartDelay.orElse(Duration.ZERO));
          case GIVE_UP -> "FATAL: " + reason;
          case NO_RESTART -> "not restarted: " + reason;
        };
  }
}
