package dev.supervisor.examples.tools;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.examples.launcher.AgentdHome;
import dev.supervisor.ipc.JsonLineClient;
import dev.supervisor.ipc.RpcException;
import java.io.IOException;
import java.time.Duration;

/** Asks the validator, then (if allowed) the executor: what {@code agentd tool} and the scheduler do. */
public final class ToolClient {
  /**
   * The outcome.
   *
   * @param allowed whether the validator allowed it
   * @param rule the deciding rule
   * @param reason the validator's reason
   * @param result the executor's reply, when allowed
   */
  public record Outcome(boolean allowed, String rule, String reason, ObjectNode result) {}

  private final JsonLineClient validator;
  private final JsonLineClient executor;

  public ToolClient(AgentdHome home) {
    this.validator = JsonLineClient.of(home.socket("validator"), Duration.ofSeconds(10));
    this.executor = JsonLineClient.of(home.socket("executor"), Duration.ofSeconds(30));
  }

  /** @throws RpcException if the executor refuses or fails (FORBIDDEN, INVALID_ARGUMENT...) */
  public Outcome run(Intent intent) throws IOException, RpcException {
    ObjectNode req = Jsons.MAPPER.createObjectNode().put("type", "validate");
    req.set("intent", intent.toJson());
    ObjectNode v = validator.call(req);
    boolean allowed = v.path("decision").asText().equals("allow");
    if (!allowed) {
      return new Outcome(false, v.path("rule").asText(), v.path("reason").asText(), null);
    }
    ObjectNode ex = Jsons.MAPPER.createObjectNode().put("type", "execute");
    ex.set("intent", v.get("intent"));
    ex.set("approval", v.get("approval"));
    return new Outcome(true, v.path("rule").asText(), v.path("reason").asText(), executor.call(ex));
  }
}
