package dev.supervisor.examples.executor;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.examples.launcher.AgentdHome;
import dev.supervisor.examples.tools.ApprovalKeys;
import dev.supervisor.examples.tools.Approvals;
import dev.supervisor.examples.tools.Intent;
import dev.supervisor.examples.tools.Policy;
import dev.supervisor.ipc.ErrorCode;
import dev.supervisor.ipc.JsonLineServer;
import dev.supervisor.ipc.Peer;
import dev.supervisor.ipc.RpcException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code execute {"intent": {...}, "approval": {...}}}: runs the intent only with a valid,
 * unexpired, unused approval for exactly that intent; every refusal is logged (to this child's
 * log, i.e. {@code <home>/logs/executor.log}). Reads {@code AGENTD_HOME} and
 * {@code AGENTD_VERIFY_KEY} (the public key: it can check approvals, not make them), and reads
 * {@code policy.json} for exec: the command runs by the absolute path the policy's own search
 * path gives, which must be the one the approval names, and the policy must allow the argv here
 * too (a symlink swapped in after the validator looked is caught once more).
 */
public final class ExecutorMain {
  private final AgentdHome home;
  private final Approvals.Verifier approvals;
  private final Policy policy;
  private final Tools tools;

  ExecutorMain(AgentdHome home, Approvals.Verifier approvals, Policy policy) throws IOException {
    this.home = home;
    this.approvals = approvals;
    this.policy = policy;
    this.tools = new Tools(home.workspace(), Duration.ofSeconds(10), policy.path());
  }

  public static void main(String[] args) throws Exception {
    AgentdHome home = AgentdHome.fromEnv();
    ExecutorMain e = new ExecutorMain(home, Approvals.verifier(ApprovalKeys.loadPublic(home.verifyKeyFromEnv()), Clock.systemUTC()),
        Policy.load(home.policy(), home.workspace()));
    JsonLineServer.builder(e.home.socket("executor")).peerPolicy(AgentdHome.childPeers()).handler(e::handle).build().start();
    System.out.println("executor serving " + e.home.socket("executor") + ", root " + e.home.workspace() + ", commands from "
        + e.policy.path());
    Thread.currentThread().join();
  }

  ObjectNode handle(ObjectNode req, Peer peer) throws RpcException {
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
      Optional<Path> approved = approvals.redeem(intent, req.get("approval"));
      if (intent.tool().equals("exec")) {
        return tools.exec(executable(intent, approved), intent.argv());
      }
      return tools.run(intent);
    } catch (SecurityException e) {
      System.out.println("REFUSED " + intent + " from " + peer + ": " + e.getMessage());
      throw new RpcException(ErrorCode.FORBIDDEN, e.getMessage());
    } catch (IOException e) {
      throw new RpcException(ErrorCode.INVALID_ARGUMENT, intent.tool() + " failed: " + e.getMessage());
    }
  }

  /** The binary to run: the executor's own resolution, which must agree with the approval's. */
  private Path executable(Intent intent, Optional<Path> approved) {
    Policy.Decision d = policy.decide(intent);
    if (!d.allowed()) {
      throw new SecurityException("the executor's policy does not allow " + intent + " (" + d.reason()
          + "); if policy.json changed, restart the executor too");
    }
    if (!d.executable().equals(approved)) {
      throw new SecurityException("the approval names " + approved.map(Path::toString).orElse("no executable") + " but the policy's path "
          + policy.path() + " gives " + d.executable().get() + " for " + intent.argv().get(0) + "; refused");
    }
    return d.executable().get();
  }
}
