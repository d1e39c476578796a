package dev.supervisor.examples.validator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.examples.launcher.AgentdHome;
import dev.supervisor.examples.tools.ApprovalKeys;
import dev.supervisor.examples.tools.Approvals;
import dev.supervisor.examples.tools.Intent;
import dev.supervisor.examples.tools.Jsons;
import dev.supervisor.examples.tools.Policy;
import dev.supervisor.ipc.ErrorCode;
import dev.supervisor.ipc.JsonLineServer;
import dev.supervisor.ipc.Peer;
import dev.supervisor.ipc.RpcException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;

/**
 * {@code validate {"intent": {...}}} -> {@code {"decision":"allow","rule":..,"approval":{..}}} or
 * {@code {"decision":"deny","rule":..,"reason":..}}. Every decision is appended to
 * {@code <home>/audit.log} before the reply. An allowed exec's approval names the binary the
 * policy's search path resolved. Reads {@code AGENTD_HOME}, {@code AGENTD_SIGNING_KEY} (the
 * Ed25519 private key, this child's alone) and {@code AGENTD_APPROVAL_TTL} (how long an approval
 * stays valid: default and maximum 30s, see {@link Approvals#ttlFrom}).
 */
public final class ValidatorMain {
  private final AgentdHome home;
  private final Policy policy;
  private final Approvals.Signer approvals;
  private final OutputStream audit;

  private ValidatorMain(AgentdHome home) throws IOException {
    this.home = home;
    this.policy = Policy.load(home.policy(), home.workspace());
    this.approvals = Approvals.signer(ApprovalKeys.loadPrivate(home.signingKeyFromEnv()), Clock.systemUTC(),
        Approvals.ttlFrom(System.getenv()));
    this.audit = Files.newOutputStream(home.audit(), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  public static void main(String[] args) throws Exception {
    ValidatorMain v = new ValidatorMain(AgentdHome.fromEnv());
    JsonLineServer.builder(v.home.socket("validator")).peerPolicy(AgentdHome.childPeers()).handler(v::handle).build().start();
    System.out.println("validator serving " + v.home.socket("validator") + " with policy " + v.home.policy());
    Thread.currentThread().join();
  }

  private ObjectNode handle(ObjectNode req, Peer peer) throws RpcException {
    if (!req.path("type").asText().equals("validate")) {
      throw new RpcException(ErrorCode.UNKNOWN_TYPE, "unknown request type '" + req.path("type").asText() + "' (known: ping, validate)");
    }
    Intent intent;
    try {
      intent = Intent.fromJson(req.get("intent")).resolvedAgainst(home.workspace());
    } catch (IllegalArgumentException e) {
      throw new RpcException(ErrorCode.INVALID_ARGUMENT, e.getMessage());
    }
    Policy.Decision d = policy.decide(intent);
    audit(peer, intent, d);
    ObjectNode out = Jsons.MAPPER.createObjectNode()
        .put("decision", d.allowed() ? "allow" : "deny").put("rule", d.rule()).put("reason", d.reason());
    out.set("intent", intent.toJson());
    if (d.allowed()) {
      out.set("approval", approvals.issue(intent, d.executable()));
    }
    return out;
  }

  private synchronized void audit(Peer peer, Intent intent, Policy.Decision d) throws RpcException {
    ObjectNode line = Jsons.MAPPER.createObjectNode().put("at", Instant.now().toString());
    line.putObject("peer").put("uid", peer.uid()).put("pid", peer.pid().orElse(-1));
    line.set("intent", intent.toJson());
    d.executable().ifPresent(x -> line.put("executable", x.toString()));
    line.put("rule", d.rule()).put("decision", d.allowed() ? "allow" : "deny").put("reason", d.reason());
    try {
      audit.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      audit.flush();
    } catch (IOException e) {
      // no audit, no decision: an unaudited approval would defeat the point
      throw new RpcException(ErrorCode.INTERNAL, "cannot write the audit log " + home.audit() + ": " + e.getMessage());
    }
  }
}
