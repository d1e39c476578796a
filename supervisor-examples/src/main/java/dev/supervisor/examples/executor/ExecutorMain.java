package dev.supervisor.examples.executor;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.examples.launcher.AgentdHome;
import dev.supervisor.examples.tools.Approvals;
import dev.supervisor.examples.tools.Intent;
import dev.supervisor.ipc.ErrorCode;
import dev.supervisor.ipc.JsonLineServer;
import dev.supervisor.ipc.Peer;
import dev.supervisor.ipc.RpcException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;

/**
 * {@code execute {"intent": {...}, "approval": {...}}}: runs the intent only with a valid,
 * unexpired, unused approval for exactly that intent; every refusal is logged (to this child's
 * log, i.e. {@code <home>/logs/executor.log}). Reads {@code AGENTD_HOME} and {@code AGENTD_KEY_FILE}.
 */
public final class ExecutorMain {
  private final AgentdHome home;
  private final Approvals approvals;
  private final Tools tools;

  private ExecutorMain(AgentdHome home) throws IOException {
    this.home = home;
    this.approvals = new Approvals(Approvals.loadKey(home.keyFileFromEnv()), Clock.systemUTC());
    this.tools = new Tools(home.workspace(), Duration.ofSeconds(10));
  }

  public static void main(String[] args) throws Exception {
    ExecutorMain e = new ExecutorMain(AgentdHome.fromEnv());
    JsonLineServer.builder(e.home.socket("executor")).peerPolicy(AgentdHome.childPeers()).handler(e::handle).build().start();
    System.out.println("executor serving " + e.home.socket("executor") + ", root " + e.home.workspace());
    Thread.currentThread().join();
  }

  private ObjectNode handle(ObjectNode req, Peer peer) throws RpcException {
    if (!req.path("type").asText().equals("execute")) {
      throw new RpcException(ErrorCode.UNKNOWN_TYPE, "unknown request type '" + req.path("type").asText() + "' (known: ping, execute)");
    }
    Intent intent;
    try {
      intent = Intent.fromJson(req.get("intent")).resolvedAgainst(home.workspace());
    } catch (IllegalArgumentException e) {
      throw new RpcException(ErrorCode.INVALID_ARGUMENT, e.getMessage());
    }
    try {
      approvals.redeem(intent, req.get("approval"));
    } catch (SecurityException e) {
      System.out.println("REFUSED " + intent + " from " + peer + ": " + e.getMessage());
      throw new RpcException(ErrorCode.FORBIDDEN, e.getMessage());
    }
    try {
      return tools.run(intent);
    } catch (SecurityException e) {
      System.out.println("REFUSED " + intent + " from " + peer + ": " + e.getMessage());
      throw new RpcException(ErrorCode.FORBIDDEN, e.getMessage());
    } catch (IOException e) {
      throw new RpcException(ErrorCode.INVALID_ARGUMENT, intent.tool() + " failed: " + e.getMessage());
    }
  }
}
