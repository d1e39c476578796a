package dev.supervisor.persist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.ExitStatus;
import dev.supervisor.internal.ExitStatusJson;
import dev.supervisor.internal.PrivateFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** See {@link StateStore#atomicJsonFile(Path)}. */
final class AtomicJsonStateStore implements StateStore {
  private static final Logger log = LoggerFactory.getLogger(AtomicJsonStateStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final Path backup;
  private final Path temp;
  /** True once {@link #file} is known to hold a good state (we wrote it, or read it back): only then may it become the backup. */
  private boolean primaryGood;

  AtomicJsonStateStore(Path file) {
    this.file = file.toAbsolutePath();
    this.backup = this.file.resolveSibling(this.file.getFileName() + ".bak");
    this.temp = this.file.resolveSibling(this.file.getFileName() + ".tmp");
  }

  @Override
  public synchronized Optional<PersistedState> load() throws IOException {
    String primaryProblem;
    try {
      PersistedState s = read(file);
      primaryGood = true;
      return Optional.of(s);
    } catch (NoSuchFileException e) {
      primaryProblem = "missing";
    } catch (IncompatibleStateException e) {
      throw e;
    } catch (IOException e) {
      primaryProblem = e instanceof CorruptStateException ? e.getMessage() : "unreadable (" + e + ")";
    }
    try {
      PersistedState s = read(backup);
      log.warn("state file {} is {}: using the backup {} (saved {})", file, primaryProblem, backup, s.savedAt());
      return Optional.of(s);
    } catch (NoSuchFileException e) {
      if (!primaryProblem.equals("missing")) {
        log.error("state file {} is {} and there is no backup: starting without saved state", file, primaryProblem);
      }
      return Optional.empty();
    } catch (IncompatibleStateException e) {
      throw e;
    } catch (IOException e) {
      log.error("state file {} is {} and its backup {} is {}: starting without saved state", file, primaryProblem, backup,
          e instanceof CorruptStateException ? e.getMessage() : "unreadable (" + e + ")");
      return Optional.empty();
    }
  }

  @Override
  public synchronized void save(PersistedState state) throws IOException {
    byte[] bytes = (toJson(state).toString() + "\n").getBytes(StandardCharsets.UTF_8);
    try (FileChannel ch = PrivateFiles.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) { // 0600: the backup is a hard link to it, so 0600 too
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    } catch (IOException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    if (primaryGood) {
      // keep the previous good file: a hard link under a temporary name, renamed over the backup, so
      // neither the primary nor the backup name is ever missing (a kill between a delete and a link left none)
      Path link = backup.resolveSibling(backup.getFileName() + ".tmp");
      try {
        Files.deleteIfExists(link);
        Files.createLink(link, file);
        Files.move(link, backup, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (NoSuchFileException | FileAlreadyExistsException e) {
        // primary vanished or a racing writer: the backup stays as it is
        Files.deleteIfExists(link);
      } catch (UnsupportedOperationException | IOException e) {
        Files.deleteIfExists(link);
        Files.copy(file, link, StandardCopyOption.REPLACE_EXISTING);
        Files.move(link, backup, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
    }
    try {
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot rename " + temp + " over " + file + " atomically: " + e.getMessage(), e);
    }
    primaryGood = true;
    try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    }
  }

  private static PersistedState read(Path p) throws IOException {
    byte[] bytes = Files.readAllBytes(p);
    if (bytes.length == 0) {
      throw new CorruptStateException("empty");
    }
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (IOException e) {
      throw new CorruptStateException("not valid JSON (truncated or damaged: " + firstLine(e.getMessage()) + ")");
    }
    if (root == null || !root.isObject()) {
      throw new CorruptStateException("not a JSON object");
    }
    int version = root.path("schemaVersion").asInt(-1);
    if (version > PersistedState.SCHEMA_VERSION) {
      throw new IncompatibleStateException(p + " was written with state schema version " + version + " by a newer supervisor; this one reads up to "
          + PersistedState.SCHEMA_VERSION + ": upgrade the library, or move the file away to start without saved state");
    }
    if (version < 1) {
      throw new CorruptStateException("missing its schemaVersion");
    }
    try {
      return fromJson(root);
    } catch (RuntimeException e) {
      throw new CorruptStateException("not a state file (" + e.getMessage() + ")");
    }
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }

  static ObjectNode toJson(PersistedState s) {
    ObjectNode n = JSON.createObjectNode();
    n.put("schemaVersion", PersistedState.SCHEMA_VERSION);
    n.put("savedAt", s.savedAt().toString());
    s.supervisor().ifPresent(sig -> n.set("supervisor", sig(sig)));
    s.handedOverAt().ifPresent(at -> n.put("handedOverAt", at.toString()));
    ArrayNode children = n.putArray("children");
    for (PersistedState.Child c : s.children()) {
      ObjectNode o = children.addObject();
      o.put("name", c.name()).put("desired", c.desiredRunning() ? "running" : "stopped").put("state", c.state());
      c.process().ifPresent(p -> o.set("process", sig(p)));
      o.put("runId", c.runId()).put("restarts", c.restarts()).put("consecutiveFailures", c.consecutiveFailures());
      c.lastExit().ifPresent(x -> o.set("lastExit", ExitStatusJson.toJson(x)));
      o.put("fatal", c.fatal());
      c.reason().ifPresent(r -> o.put("reason", r));
      c.cgroup().ifPresent(g -> o.put("cgroup", g));
    }
    return n;
  }

  private static ObjectNode sig(ProcessSignature p) {
    return JSON.createObjectNode().put("pid", p.pid()).put("startTicks", p.startTicks());
  }

  static PersistedState fromJson(JsonNode n) {
    List<PersistedState.Child> children = new ArrayList<>();
    JsonNode arr = n.get("children");
    if (arr == null || !arr.isArray()) {
      throw new IllegalArgumentException("no children array");
    }
    for (JsonNode o : arr) {
      String name = text(o, "name");
      JsonNode e = o.get("lastExit");
      Optional<ExitStatus> exit = e != null && e.isObject() ? Optional.of(ExitStatusJson.fromJson(e)) : Optional.empty();
      children.add(new PersistedState.Child(name, !"stopped".equals(o.path("desired").asText("running")), text(o, "state"),
          signature(o.get("process")), o.path("runId").asLong(), o.path("restarts").asInt(),
          o.path("consecutiveFailures").asInt(), exit, o.path("fatal").asBoolean(false),
          Optional.ofNullable(o.has("reason") ? o.get("reason").asText() : null),
          Optional.ofNullable(o.hasNonNull("cgroup") ? o.get("cgroup").asText() : null)));
    }
    return new PersistedState(n.path("schemaVersion").asInt(), Instant.parse(text(n, "savedAt")),
        signature(n.get("supervisor")), children,
        Optional.ofNullable(n.hasNonNull("handedOverAt") ? Instant.parse(n.get("handedOverAt").asText()) : null));
  }

  private static Optional<ProcessSignature> signature(JsonNode n) {
    if (n == null || !n.isObject()) {
      return Optional.empty();
    }
    return Optional.of(new ProcessSignature(n.path("pid").asLong(), n.path("startTicks").asLong()));
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("'" + field + "' missing");
    }
    return v.asText();
  }

  @Override
  public String toString() {
    return "atomicJsonFile(" + file + ")";
  }

  /** Written by a newer version: refused, never silently replaced. */
  static final class IncompatibleStateException extends IOException {
    private static final long serialVersionUID = 1L;

    IncompatibleStateException(String message) {
      super(message);
    }
  }

  /** The file exists but does not hold a usable state. */
  private static final class CorruptStateException extends IOException {
    private static final long serialVersionUID = 1L;

    CorruptStateException(String message) {
      super(message);
    }
  }
}
