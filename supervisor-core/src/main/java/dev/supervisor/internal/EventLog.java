package dev.supervisor.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.SupervisorListener;
import dev.supervisor.event.ChildGaveUp;
import dev.supervisor.event.ChildStartFailed;
import dev.supervisor.event.ChildStateChanged;
import dev.supervisor.event.HealthCheckFailed;
import dev.supervisor.event.LogWriteFailed;
import dev.supervisor.event.LogWriteRecovered;
import dev.supervisor.event.RestartScheduled;
import dev.supervisor.event.StateStoreWriteFailed;
import dev.supervisor.event.StormBreakerClosed;
import dev.supervisor.event.StormBreakerTripped;
import dev.supervisor.event.SupervisorEvent;
import dev.supervisor.event.SupervisorStateChanged;
import dev.supervisor.event.WatchTriggered;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends every event as one JSON object per line (a 0600 file); rotated by rename at 10 MiB, keeping 7 files.
 * Runs on the supervisor's io thread (one writer). A write failure is logged and the event is
 * dropped; the next event tries again. A deleted file (or directory) is noticed at the next
 * event and created again.
 */
public final class EventLog implements SupervisorListener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EventLog.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_BYTES = 10L * 1024 * 1024;
  private static final int KEEP = 7;

  private final Path file;
  private OutputStream out;
  private long size;
  private boolean failing;

  public EventLog(Path file) {
    this.file = file;
  }

  @Override
  public void onEvent(SupervisorEvent event) {
    byte[] line = (toJson(event).toString() + "\n").getBytes(StandardCharsets.UTF_8);
    try {
      if (out != null && !Files.exists(file)) { // deleted (logs/ with it, maybe): what we would write is lost
        log.warn("event log {} was deleted; starting a new one", file);
        closeQuietly();
      }
      if (out == null) {
        if (OwnedDirectories.ensure(file.toAbsolutePath().getParent())) {
          log.warn("directory {} was missing: created it again (mode 0700)", file.toAbsolutePath().getParent());
        }
        out = PrivateFiles.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        size = Files.size(file);
      }
      if (size + line.length > MAX_BYTES) {
        rotate();
      }
      out.write(line);
      out.flush();
      size += line.length;
      if (failing) {
        log.info("event log {} is writable again", file);
        failing = false;
      }
    } catch (IOException e) {
      if (!failing) {
        log.error("cannot write the event log {}: {}; events are dropped from it until it is writable", file, e.toString());
        failing = true;
      }
      closeQuietly();
    }
  }

  private void rotate() throws IOException {
    closeQuietly();
    Files.deleteIfExists(LogFiles.rotated(file, KEEP, false));
    for (int i = KEEP - 1; i >= 1; i--) {
      Path from = LogFiles.rotated(file, i, false);
      if (Files.exists(from)) {
        Files.move(from, LogFiles.rotated(file, i + 1, false), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Files.move(file, LogFiles.rotated(file, 1, false), StandardCopyOption.REPLACE_EXISTING);
    out = PrivateFiles.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    size = 0;
  }

  /** The JSON form of an event: {@code {"type":...,"at":...}} plus its fields. */
  public static ObjectNode toJson(SupervisorEvent event) {
    ObjectNode n = JSON.createObjectNode();
    n.put("type", event.type());
    n.put("at", event.at().toString());
    if (event instanceof ChildStateChanged e) {
      n.put("name", e.name()).put("runId", e.runId());
      e.pid().ifPresent(p -> n.put("pid", p));
      n.put("from", e.from().name()).put("to", e.to().name());
      e.exit().ifPresent(x -> n.set("exit", ExitStatusJson.toJson(x)));
      e.reason().ifPresent(r -> n.put("reason", r));
    } else if (event instanceof RestartScheduled e) {
      n.put("name", e.name()).put("runId", e.runId()).put("delayMs", e.delay().toMillis()).put("reason", e.reason());
    } else if (event instanceof ChildGaveUp e) {
      n.put("name", e.name()).put("runId", e.runId()).put("reason", e.reason());
    } else if (event instanceof ChildStartFailed e) {
      n.put("name", e.name()).put("runId", e.runId()).put("reason", e.reason());
    } else if (event instanceof HealthCheckFailed e) {
      n.put("name", e.name()).put("runId", e.runId()).put("consecutive", e.consecutive())
          .put("failuresToRestart", e.failuresToRestart()).put("message", e.message());
    } else if (event instanceof StateStoreWriteFailed e) {
      n.put("message", e.message());
    } else if (event instanceof LogWriteFailed e) {
      n.put("name", e.name()).put("runId", e.runId()).put("reason", e.reason());
    } else if (event instanceof LogWriteRecovered e) {
      n.put("name", e.name()).put("runId", e.runId());
    } else if (event instanceof StormBreakerTripped e) {
      e.crashed().forEach(n.putArray("crashed")::add);
      n.put("breaker", e.breaker());
    } else if (event instanceof StormBreakerClosed e) {
      n.put("probe", e.probe());
      e.released().forEach(n.putArray("released")::add);
    } else if (event instanceof WatchTriggered e) {
      n.put("name", e.name()).put("file", e.file().toString());
    } else if (event instanceof SupervisorStateChanged e) {
      n.put("from", e.from().name()).put("to", e.to().name());
      e.cause().ifPresent(c -> n.put("cause", c));
    }
    return n;
  }

  @Override
  public void close() {
    closeQuietly();
  }

  private void closeQuietly() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException ignored) {
        // nothing left to do
      }
      out = null;
    }
  }
}
