package dev.supervisor.examples.launcher;

import java.io.IOException;
import dev.supervisor.persist.OwnerOnly;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The files of an agentd home: {@code run/} (sockets), {@code logs/}, {@code workspace/},
 * {@code policy.json}, {@code audit.log}, {@code agentd.key}, {@code scheduler.db}, plus the
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

  public Path keyFile() { return root.resolve("agentd.key"); }

  public Path database() { return root.resolve("scheduler.db"); }

  public Path workDir(String child) { return root.resolve("work").resolve(child); }

  /** The key file a child was given, from {@code AGENTD_KEY_FILE}. */
  public Path keyFileFromEnv() {
    String k = System.getenv("AGENTD_KEY_FILE");
    if (k == null || k.isBlank()) {
      throw new IllegalStateException("AGENTD_KEY_FILE is not set: only the validator and the executor get the key");
    }
    return Path.of(k);
  }

  /**
   * Creates the directories a running daemon needs, each 0700, and tightens to 0700/0600 what is
   * open to other users among the home itself (it holds the key, the policy and the audit log),
   * its directories, the job database with its journals and the supervisor's files (logs, state,
   * incidents, run/); one WARN line says what changed. The workspace's contents are the user's
   * and are left alone.
   */
  public void createDirectories() throws IOException {
    List<Path> own = new ArrayList<>(List.of(root, logs(), workspace(), root.resolve("work")));
    for (String c : new String[] {"validator", "executor", "scheduler"}) {
      own.add(workDir(c));
    }
    for (Path d : own) {
      OwnerOnly.createDirectories(d);
    }
    for (String suffix : new String[] {"", "-wal", "-shm", "-journal"}) {
      own.add(root.resolve(database().getFileName() + suffix));
    }
    OwnerOnly.tightenHome(root, own); // with the supervisor's own files: one line, and its start finds nothing left
  }
}
