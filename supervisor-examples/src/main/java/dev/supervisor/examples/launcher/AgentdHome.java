package dev.supervisor.examples.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The files of an agentd home: {@code run/} (sockets), {@code logs/}, {@code workspace/},
 * {@code policy.json}, {@code audit.log}, {@code keys/}, {@code scheduler.db}, plus the
 * supervisor's {@code state.json} and {@code supervisor.pid}.
 */
public record AgentdHome(Path root) {
  public AgentdHome {
    root = root.toAbsolutePath().normalize();
  }

  /** {@code --home}, else {@code $AGENTD_HOME}, else {@code ~/.agentd}. */
  public static AgentdHome resolve(Path option, Map<String, String> env) {
    if (option != null) {
      return new AgentdHome(option);
    }
    String fromEnv = env.get("AGENTD_HOME");
    if (fromEnv != null && !fromEnv.isBlank()) {
      return new AgentdHome(Path.of(fromEnv));
    }
    return new AgentdHome(Path.of(System.getProperty("user.home"), ".agentd"));
  }

  /** For the children: {@code AGENTD_HOME} must be set. */
  public static AgentdHome fromEnv() {
    String h = System.getenv("AGENTD_HOME");
    if (h == null || h.isBlank()) {
      throw new IllegalStateException("AGENTD_HOME is not set: this program is started by 'agentd daemon run'");
    }
    return new AgentdHome(Path.of(h));
  }

  public Path run() { return root.resolve("run"); }

  public Path socket(String name) { return run().resolve(name + ".sock"); }

  public Path controlSocket() { return socket("control"); }

  public Path logs() { return root.resolve("logs"); }

  public Path workspace() { return root.resolve("workspace"); }

  public Path policy() { return root.resolve("policy.json"); }

  public Path audit() { return root.resolve("audit.log"); }

  /** The approval keys' directory; each half in its own subdirectory, for per-child filesystem rules. */
  public Path keys() { return root.resolve("keys"); }

  /** The Ed25519 private key that signs approvals: the validator's alone ({@code AGENTD_SIGNING_KEY}). */
  public Path signingKey() { return keys().resolve("validator").resolve("approval.key"); }

  /** The public key that verifies approvals: the executor's ({@code AGENTD_VERIFY_KEY}). */
  public Path verifyKey() { return keys().resolve("public").resolve("approval.pub"); }

  /** The HMAC key earlier versions shared between validator and executor; deleted on start. */
  public Path legacyKeyFile() { return root.resolve("agentd.key"); }

  public Path database() { return root.resolve("scheduler.db"); }

  public Path workDir(String child) { return root.resolve("work").resolve(child); }

  /** The validator's signing key, from {@code AGENTD_SIGNING_KEY}. */
  public Path signingKeyFromEnv() {
    return keyFromEnv("AGENTD_SIGNING_KEY", "only the validator gets the signing key");
  }

  /** The executor's verify key, from {@code AGENTD_VERIFY_KEY}. */
  public Path verifyKeyFromEnv() {
    return keyFromEnv("AGENTD_VERIFY_KEY", "only the executor gets the verify key");
  }

  private static Path keyFromEnv(String name, String who) {
    String k = System.getenv(name);
    if (k == null || k.isBlank()) {
      throw new IllegalStateException(name + " is not set: " + who + ", from 'agentd daemon run'");
    }
    return Path.of(k);
  }

  /** Creates the directories a running daemon needs. */
  public void createDirectories() throws IOException {
    Files.createDirectories(root);
    Files.createDirectories(logs());
    Files.createDirectories(workspace());
    for (String c : new String[] {"validator", "executor", "scheduler"}) {
      Files.createDirectories(workDir(c));
    }
  }
}
