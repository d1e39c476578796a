package dev.supervisor.ipc.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.ChildState;
import dev.supervisor.ChildStatus;
import dev.supervisor.StormBreaker;
import dev.supervisor.json.JsonForms;
import dev.supervisor.SupervisorState;
import dev.supervisor.SupervisorStatus;
import dev.supervisor.ipc.internal.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The wire form of a status, also printed by {@code status --json}:
 * <pre>
 * {"supervisor":{"running":true,"state":"RUNNING","pid":123,"uptimeMs":5000,"home":"...",
 *               "jdk":25,"processLayer":"ffm (posix_spawn, pidfd exits, kill(2))",
 *               "breaker":{"state":"CLOSED","settings":"stormBreaker(majority in 30s, probe 10s)","held":[]}},
 *  "children":[{"name":"validator","state":"RUNNING","pid":124,"uptimeMs":4900,"restarts":0,
 *               "lastExit":null,"cpuMs":350,"rssBytes":41000000,"runId":1,...,"processes":2,
 *               "logFault":"no space left on /var (0 bytes free)"}]}       (logFault only while there is one)
 * </pre>
 */
public final class StatusJson {
  private StatusJson() {}

  /** As {@link #toJson(SupervisorStatus, long, Optional, Path, String)} without a process layer (and the JDK it runs on). */
  public static ObjectNode toJson(SupervisorStatus status, long pid, Optional<Instant> startedAt, Path home) {
    return toJson(status, pid, startedAt, home, null);
  }

  /**
   * The status of the supervisor {@code pid} on {@code home}; with {@code processLayer} non-null,
   * also the feature version of the JDK this process runs on ({@code jdk}) and the layer.
   */
  public static ObjectNode toJson(SupervisorStatus status, long pid, Optional<Instant> startedAt, Path home, String processLayer) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    ObjectNode sup = root.putObject("supervisor");
    sup.put("running", status.state() == SupervisorState.RUNNING || status.state() == SupervisorState.STARTING);
    sup.put("state", status.state().name());
    sup.put("pid", pid);
    if (startedAt.isPresent()) {
      sup.put("uptimeMs", Duration.between(startedAt.get(), status.takenAt()).toMillis());
    } else {
      sup.putNull("uptimeMs");
    }
    sup.put("home", home.toString());
    sup.put("takenAt", status.takenAt().toString());
    if (processLayer != null) {
      sup.put("jdk", Runtime.version().feature()).put("processLayer", processLayer);
    }
    StormBreaker.Status b = status.breaker();
    ObjectNode breaker = sup.putObject("breaker").put("state", b.open() ? "OPEN" : "CLOSED").put("settings", b.breaker());
    b.openedAt().ifPresent(t -> breaker.put("openedAt", t.toString()));
    b.probe().ifPresent(p -> breaker.put("probe", p));
    b.held().forEach(breaker.putArray("held")::add);
    ArrayNode children = root.putArray("children");
    for (ChildStatus c : status.children()) {
      ObjectNode o = children.addObject();
      o.put("name", c.name()).put("state", c.state().name());
      putLong(o, "pid", c.pid());
      if (c.uptime().isPresent()) {
        o.put("uptimeMs", c.uptime().get().toMillis());
      } else {
        o.putNull("uptimeMs");
      }
      o.put("restarts", c.restarts());
      if (c.lastExit().isPresent()) {
        o.set("lastExit", JsonForms.toJson(c.lastExit().get()));
      } else {
        o.putNull("lastExit");
      }
      if (c.cpuTime().isPresent()) {
        o.put("cpuMs", c.cpuTime().get().toMillis());
      } else {
        o.putNull("cpuMs");
      }
      putLong(o, "rssBytes", c.rssBytes());
      o.put("runId", c.runId());
      c.lastExitAt().ifPresent(t -> o.put("lastExitAt", t.toString()));
      c.nextRestartAt().ifPresent(t -> o.put("nextRestartAt", t.toString()));
      c.reason().ifPresent(r -> o.put("reason", r));
      o.put("policy", c.policy());
      c.statusText().ifPresent(t -> o.put("statusText", t));
      c.privileges().ifPresent(pr -> o.set("privileges", PrivilegesJson.toJson(pr)));
      c.logFault().ifPresent(f -> o.put("logFault", f));
      if (c.processes().isPresent()) {
        o.put("processes", c.processes().getAsInt());
      } else {
        o.putNull("processes");
      }
    }
    return root;
  }

  private static void putLong(ObjectNode o, String field, OptionalLong v) {
    if (v.isPresent()) {
      o.put(field, v.getAsLong());
    } else {
      o.putNull(field);
    }
  }

  /** Reads the wire form back into a {@link SupervisorStatus}. */
  public static SupervisorStatus fromJson(JsonNode root) {
    JsonNode sup = root.path("supervisor");
    List<ChildStatus> children = new ArrayList<>();
    for (JsonNode o : root.path("children")) {
      children.add(new ChildStatus(o.path("name").asText(), ChildState.valueOf(o.path("state").asText()),
          optLong(o, "pid"), o.path("runId").asLong(),
          optLong(o, "uptimeMs").isPresent() ? Optional.of(Duration.ofMillis(o.get("uptimeMs").asLong())) : Optional.empty(),
          o.path("restarts").asInt(),
          o.hasNonNull("lastExit") ? Optional.of(JsonForms.exitStatus(o.get("lastExit"))) : Optional.empty(),
          o.hasNonNull("lastExitAt") ? Optional.of(Instant.parse(o.get("lastExitAt").asText())) : Optional.empty(),
          o.hasNonNull("nextRestartAt") ? Optional.of(Instant.parse(o.get("nextRestartAt").asText())) : Optional.empty(),
          o.hasNonNull("reason") ? Optional.of(o.get("reason").asText()) : Optional.empty(),
          optLong(o, "cpuMs").isPresent() ? Optional.of(Duration.ofMillis(o.get("cpuMs").asLong())) : Optional.empty(),
          optLong(o, "rssBytes"), o.path("policy").asText(""),
          o.hasNonNull("statusText") ? Optional.of(o.get("statusText").asText()) : Optional.empty(),
          o.hasNonNull("privileges") ? Optional.of(PrivilegesJson.fromJson(o.get("privileges"))) : Optional.empty(),
          o.hasNonNull("logFault") ? Optional.of(o.get("logFault").asText()) : Optional.empty(),
          o.hasNonNull("processes") ? OptionalInt.of(o.get("processes").asInt()) : OptionalInt.empty()));
    }
    JsonNode b = sup.path("breaker");
    List<String> held = new ArrayList<>();
    b.path("held").forEach(h -> held.add(h.asText()));
    StormBreaker.Status breaker = new StormBreaker.Status(b.path("state").asText().equals("OPEN"),
        b.hasNonNull("openedAt") ? Optional.of(Instant.parse(b.get("openedAt").asText())) : Optional.empty(),
        b.hasNonNull("probe") ? Optional.of(b.get("probe").asText()) : Optional.empty(), held, b.path("settings").asText(""));
    return new SupervisorStatus(SupervisorState.valueOf(sup.path("state").asText()), Instant.parse(sup.path("takenAt").asText()), children,
        breaker);
  }

  private static OptionalLong optLong(JsonNode o, String field) {
    JsonNode v = o.get(field);
    return v == null || v.isNull() ? OptionalLong.empty() : OptionalLong.of(v.asLong());
  }
}
