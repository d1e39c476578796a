package dev.supervisor.examples.launcher;

import java.io.IOException;
import dev.supervisor.persist.OwnerOnly;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The files of an agentd home: {@code run/control.sock}, {@code logs/}, {@code workspace/},
 * {@code policy.json}, {@code audit.log}, the approval keys in {@code keys/}, {@code work/NAME/} of each child (its
 * socket {@code NAME.sock}, temp files, the scheduler's {@code scheduler.db}), plus the
 * supervisor's {@code state.json} and {@code supervisor.pid}.
 */
public record AgentdHome(Path root) {
  public AgentdHome {
    root = root.toAbsolutePath().normalize();
  }

  /** {@code --home}, else {@code $AGENTD_HOME}, else {@code ~/.agentd} ({@code /var/lib/agentd} for root). */
  public static AgentdHome resolve(Path option, Map<String, String> env) {
    if (option != null) {
      return new AgentdHome(option);
    }
    String fromEnv = env.get("AGENTD_HOME");
    if (fromEnv != null && !fromEnv.isBlank()) {
      return new AgentdHome(Path.of(fromEnv));
    }
    if (ChildUser.isRoot()) { // a system service: its children run as an unprivileged user, who cannot enter /root
      return new AgentdHome(Path.of("/var/lib/agentd"));
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

  /**
   * The socket of child {@code name}: {@code work/NAME/NAME.sock}, in the child's own runtime
   * directory, which it owns when it runs as another user (see {@link ChildUser}).
   */
  public Path socket(String name) { return workDir(name).resolve(name + ".sock"); }

  /** The supervisor's control socket, {@code run/control.sock}. */
  public Path controlSocket() { return run().resolve("control.sock"); }

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

  /** The scheduler's SQLite database, {@code work/scheduler/scheduler.db}, in a directory the scheduler owns. */
  public Path database() { return workDir("scheduler").resolve("scheduler.db"); }

  public Path workDir(String child) { return root.resolve("work").resolve(child); }

  /**
   * Whether the children run as another user than this process: the validator's work directory
   * belongs to someone else (see {@link ChildUser#prepare}).
   */
  public boolean sharedWithChildren() {
    try {
      Path w = workDir("validator");
      return java.nio.file.Files.exists(w) && !java.nio.file.Files.getOwner(w, java.nio.file.LinkOption.NOFOLLOW_LINKS).getName()
          .equals(java.nio.file.Files.getOwner(root, java.nio.file.LinkOption.NOFOLLOW_LINKS).getName());
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Who may connect to a child's socket: the child's own uid and the uid of the supervisor that
   * started it ({@code AGENTD_OWNER_UID}: root, when the children run as another user), so the
   * CLI and the supervisor's health check keep working.
   */
  public static dev.supervisor.ipc.PeerPolicy childPeers() {
    long me = dev.supervisor.ipc.Uids.current();
    String owner = System.getenv("AGENTD_OWNER_UID");
    return owner != null && owner.matches("[0-9]+") && Long.parseLong(owner) != me
        ? dev.supervisor.ipc.PeerPolicy.uids(me, Long.parseLong(owner)) : dev.supervisor.ipc.PeerPolicy.sameUser();
  }

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

  /**
   * Creates the directories a running daemon needs, each 0700, and tightens to 0700/0600 what is
   * open to other users among the home itself (it holds the key, the policy and the audit log),
   * its directories, the job database with its journals and the supervisor's files (logs, state,
   * incidents, run/); one WARN line says what changed. The workspace's contents are the user's
   * and are left alone.
   */
  public void createDirectories() throws IOException {
    List<Path> own = new ArrayList<>(List.of(root, logs(), workspace(), root.resolve("work")));
    boolean shared = sharedWithChildren();
    for (String c : Trio.NAMES) {
      own.add(workDir(c));
      own.add(workDir(c).resolve("tmp"));
    }
    for (Path d : own) {
      OwnerOnly.createDirectories(d);
    }
    for (String suffix : new String[] {"", "-wal", "-shm", "-journal"}) {
      Path old = root.resolve("scheduler.db" + suffix); // before 0.2 the database lived in the home itself
      Path now = database().resolveSibling(database().getFileName() + suffix);
      if (java.nio.file.Files.exists(old) && !java.nio.file.Files.exists(now)) {
        java.nio.file.Files.move(old, now);
      }
      own.add(now);
    }
    if (shared) { // the children run as another user: the home, work/ and what they own are set by ChildUser.prepare
      own.removeIf(p -> p.equals(root) || p.startsWith(root.resolve("work")) || p.startsWith(workspace()));
    }
    OwnerOnly.tightenHome(root, own); // with the supervisor's own files: one line, and its start finds nothing left
  }
}
