package dev.supervisor.internal.engine;

import dev.supervisor.LogConfig;
import dev.supervisor.internal.LogFiles;
import dev.supervisor.internal.OwnedDirectories;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Log rotation and retention, and the checks that notice a log that cannot be written. Runs on
 * the io thread, one round at a time (a round asked for while one runs is skipped); its
 * bookkeeping is io-thread confined.
 */
final class LogRotation {
  private static final Logger log = LoggerFactory.getLogger(LogRotation.class);

  private final Engine engine;
  private final AtomicBoolean running = new AtomicBoolean();

  LogRotation(Engine engine) {
    this.engine = engine;
  }

  /** Per-log bookkeeping for adaptive size checks; io-thread confined. */
  private static final class LogWatch {
    long lastSize;
    long lastCheckNanos;
    long nextCheckNanos;
    /** 0 until the first prune (at the first check after the start). */
    long nextPruneNanos;
    /** The wait after a check that saw no growth: doubles from the check interval up to 10 s, back to it on growth. */
    long quietWaitNanos;
  }

  private final Map<String, LogWatch> logWatches = new HashMap<>();

  /** A quiet log is checked this often at most (a growing one every {@code logCheckInterval}). */
  private static final long QUIET_CHECK_NANOS = TimeUnit.SECONDS.toNanos(10);

  /**
   * Rotates the logs that outgrew their limit, and notices the logs that cannot be written
   * ({@link LogFaults}). Checks are adaptive, so 500 idle children cost 50 {@code stat}s a second
   * rather than 500: a log that grows is checked again after half the time it needs to reach its
   * limit at its current rate (at least every {@code logCheckInterval}), a quiet one every 10 s,
   * a faulty one every {@code logCheckInterval}; each directory (does it exist, is its file system
   * full or read-only) is looked at once every round. {@code all} checks every log now (shutdown).
   */
  void run(boolean all) {
    if (!running.compareAndSet(false, true)) {
      return;
    }
    engine.io().execute(() -> {
      try {
        long now = System.nanoTime();
        long minGap = engine.logCheckInterval().toNanos();
        Map<Path, String> directories = new HashMap<>(); // each directory is looked at once a round
        for (ChildRunner r : engine.runners()) {
          LogConfig cfg = r.spec.logs();
          Optional<Path> file = r.logFile();
          if (file.isEmpty()) {
            continue;
          }
          LogWatch w = logWatches.computeIfAbsent(r.name(), n -> new LogWatch());
          String problem = engine.logFaults().directoryProblem(file.get(), directories); // every round: one look per directory
          if (problem == null) {
            if (!all && now - w.nextCheckNanos < 0 && !r.files.logCheckDue) {
              continue;
            }
            r.files.logCheckDue = false;
            problem = LogFaults.fileProblem(r, file.get());
          }
          if (problem != null) {
            engine.logFaults().failed(r, problem);
            w.nextCheckNanos = now + minGap;
            continue;
          }
          try {
            long before = Files.exists(file.get()) ? Files.size(file.get()) : 0; // the growth, measured before a rotation truncates
            Path rotated = LogFiles.rotateIfLarger(file.get(), cfg.maxBytes(), cfg.keep(), cfg.gzip());
            if (rotated != null) {
              log.debug("rotated log of child '{}' into {}", r.name(), rotated);
            }
            if (rotated != null || w.nextPruneNanos == 0 || now - w.nextPruneNanos >= 0) { // after each rotation, at start, and hourly
              for (Path gone : LogFiles.prune(file.get(), cfg.maxAge(), cfg.maxTotalBytes(), engine.now())) { // the supervisor's clock
                log.info("deleted {} of child '{}' (retention: {})", gone.getFileName(), r.name(), cfg);
              }
              w.nextPruneNanos = now + TimeUnit.HOURS.toNanos(1);
            }
            long size = rotated == null ? before : Files.exists(file.get()) ? Files.size(file.get()) : 0;
            long grown = before - w.lastSize;
            long wait;
            if (w.lastCheckNanos == 0 || rotated != null) {
              wait = minGap; // no rate known yet, or it just filled a file: look again soon
              w.quietWaitNanos = minGap;
            } else if (grown > 0) {
              double bytesPerNano = grown / (double) Math.max(1, now - w.lastCheckNanos);
              wait = (long) Math.min(QUIET_CHECK_NANOS, Math.max(minGap, (cfg.maxBytes() - size) / bytesPerNano / 2));
              w.quietWaitNanos = minGap;
            } else { // quiet: back off step by step, so a burst after a pause is seen within the last wait
              w.quietWaitNanos = Math.min(QUIET_CHECK_NANOS, Math.max(minGap, w.quietWaitNanos * 2));
              wait = w.quietWaitNanos;
            }
            w.lastSize = size;
            w.lastCheckNanos = now;
            w.nextCheckNanos = now + wait;
            engine.logFaults().ok(r);
          } catch (IOException e) {
            w.nextCheckNanos = now + minGap;
            engine.logFaults().failed(r, "cannot rotate " + file.get() + ": " + OwnedDirectories.reason(e, file.get()));
          }
        }
      } finally {
        running.set(false);
      }
    });
  }
}
