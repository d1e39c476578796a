package dev.supervisor.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.ExitStatus;
import dev.supervisor.Incident;
import dev.supervisor.event.SupervisorEvent;
import dev.supervisor.internal.EventLog;
import dev.supervisor.internal.ExitStatusJson;
import dev.supervisor.internal.IncidentStore;

/**
 * The JSON forms the supervisor writes (event log, incident records, state file) and that its
 * control socket, {@code agentd} and the HTTP API answer with, for programs that read or relay
 * them. Each {@code fromJson} reads what the matching {@code toJson} wrote.
 */
public final class JsonForms {
  private JsonForms() {}

  /** {@code {"kind":"EXITED","code":3,...,"text":"exit code 3"}}. */
  public static ObjectNode toJson(ExitStatus exit) {
    return ExitStatusJson.toJson(exit);
  }

  /** An exit status as {@link #toJson(ExitStatus)} wrote it. */
  public static ExitStatus exitStatus(JsonNode json) {
    return ExitStatusJson.fromJson(json);
  }

  /** One line of {@code <home>/incidents/NAME.jsonl}: when, run, exit, uptime, peak rss, cpu, decision, last lines. */
  public static ObjectNode toJson(Incident incident) {
    return IncidentStore.toJson(incident);
  }

  /** An incident as {@link #toJson(Incident)} wrote it. */
  public static Incident incident(JsonNode json) {
    return IncidentStore.fromJson(json);
  }

  /** One line of the event log, {@code {"type":...,"at":...}} plus the event's fields. */
  public static ObjectNode toJson(SupervisorEvent event) {
    return EventLog.toJson(event);
  }
}
