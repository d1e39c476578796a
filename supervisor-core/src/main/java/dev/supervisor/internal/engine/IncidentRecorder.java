package dev.supervisor.internal.engine;

import dev.supervisor.ExitStatus;
import dev.supervisor.Incident;
import dev.supervisor.RestartDecision;
import dev.supervisor.internal.FileTail;
import dev.supervisor.internal.IncidentStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes each crash and hang-kill to {@code <home>/incidents/<name>.jsonl} with the last lines of
 * the child's log, on the io thread (the log tail is read there), and reads them back. At most
 * {@value #MAX_PENDING} wait at once: beyond that, in a storm, incidents are dropped and counted,
 * and the drop is logged. Threadsafe.
 */
final class IncidentRecorder {
  private static final Logger log = LoggerFactory.getLogger(IncidentRecorder.class);
  static final int MAX_PENDING = 256;

  /** Null when incidents are off. */
  private final IncidentStore store;
  private final Executor io;
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicLong dropped = new AtomicLong();

  /** {@code kept} 0: incidents are off. */
  IncidentRecorder(Path dir, int kept, Executor io) {
    this.store = kept == 0 ? null : new IncidentStore(dir, kept);
    this.io = io;
  }

  void record(String name, Optional<Path> logFile, Instant at, long runId, ExitStatus exit, Duration uptime, OptionalLong peakRss,
      Optional<Duration> cpu, RestartDecision decision) {
    if (store == null) {
      return;
    }
    if (pending.incrementAndGet() > MAX_PENDING) {
      pending.decrementAndGet();
      if (dropped.getAndIncrement() % 1000 == 0) {
        log.warn("incident records are falling behind a crash storm: {} dropped so far (child '{}' run {})", dropped.get(), name, runId);
      }
      return;
    }
    io.execute(() -> {
      try {
        List<String> lines = List.of();
        if (logFile.isPresent()) {
          try {
            lines = FileTail.lastLines(logFile.get(), Incident.LINES);
          } catch (IOException e) {
            lines = List.of("(cannot read " + logFile.get() + ": " + e.getMessage() + ")");
          }
        }
        store.append(new Incident(at, name, runId, exit, uptime, lines, peakRss, cpu, decision.action(), decision.delay(),
            decision.reason()));
      } finally {
        pending.decrementAndGet();
      }
    });
  }

  /** The child's incidents, oldest first; empty when incidents are off. */
  List<Incident> read(String name) throws IOException {
    return store == null ? List.of() : store.read(name);
  }
}
