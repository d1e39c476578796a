package dev.supervisor.internal.engine;

import dev.supervisor.ChildStatus;
import dev.supervisor.Durations;
import dev.supervisor.event.LogWriteFailed;
import dev.supervisor.event.LogWriteRecovered;
import dev.supervisor.internal.LogFiles;
import dev.supervisor.internal.OwnedDirectories;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which children's logs cannot be written now, and why; handled as the state store's failures
 * are: one WARN and one {@link LogWriteFailed} when an episode starts, the reason kept current
 * in status ({@link ChildStatus#logFault()}) while it lasts, one INFO and one
 * {@link LogWriteRecovered} when it ends. Threadsafe: the loop reports spawn-time failures, the
 * io thread the periodic checks.
 */
final class LogFaults {
  private static final Logger log = LoggerFactory.getLogger(LogFaults.class);
  private final Engine engine;
  private final ConcurrentHashMap<String, String> faults = new ConcurrentHashMap<>();

  LogFaults(Engine engine) {
    this.engine = engine;
  }

  /** The log of {@code r} cannot be written, for {@code reason}. */
  synchronized void failed(ChildRunner r, String reason) {
    String before = faults.get(r.name());
    if (before == null) {
      log.warn("the log of child '{}' cannot be written: {}; supervision goes on, checking again every {}", r.name(), reason,
          Durations.format(engine.logCheckInterval()));
      // the event first, then the status that it explains: whoever sees the fault in status can find its event
      engine.emit(new LogWriteFailed(engine.now(), r.name(), r.snapshot.runId(), reason));
      faults.put(r.name(), reason);
      engine.changed();
    } else if (!before.equals(reason)) {
      log.debug("the log of child '{}' still cannot be written: {}", r.name(), reason);
      faults.put(r.name(), reason);
      engine.changed();
    }
  }

  /** The log of {@code r} passed a check. */
  synchronized void ok(ChildRunner r) {
    String before = faults.get(r.name());
    if (before != null) {
      log.info("the log of child '{}' is written again (it could not be: {})", r.name(), before);
      engine.emit(new LogWriteRecovered(engine.now(), r.name(), r.snapshot.runId())); // before the status clears, as above
      faults.remove(r.name());
      engine.changed();
    }
  }

  /**
   * Why the logs in {@code file}'s directory cannot be written now, or null (io thread): the
   * directory (created again when it is missing) cannot be made, or its file system is read-only
   * or full. Cheap enough for every round: each directory is looked at once.
   *
   * @param perDirectory the verdicts on directories already looked at in this round ("" for fine)
   */
  String directoryProblem(Path file, Map<Path, String> perDirectory) {
    String problem = perDirectory.computeIfAbsent(file.toAbsolutePath().getParent(), this::directoryProblem);
    return problem.isEmpty() ? null : problem;
  }

  /**
   * Why the log of {@code r} is not written, or null: the file the live run writes is no longer
   * the one at {@code file} (deleted while the child runs: its output goes to a file nobody can
   * open, until its next start).
   */
  static String fileProblem(ChildRunner r, Path file) {
    ChildSnapshot s = r.snapshot;
    Object expected = r.files.logFileKey;
    if (expected == null || !s.state().isAlive() || s.pid().isEmpty()) {
      return null;
    }
    Object actual;
    try {
      actual = LogFiles.fileKey(file);
    } catch (IOException e) {
      actual = null;
    }
    return expected.equals(actual) ? null : "log file " + file + " was deleted while the child runs (pid " + s.pid().getAsLong()
        + "): its output is lost until it starts again; restart it to write the log again";
  }

  private String directoryProblem(Path dir) {
    try {
      boolean created = OwnedDirectories.ensure(dir);
      if (created) {
        log.warn("log directory {} was missing: created it again (mode 0700)", dir);
      }
      FileStore store = store(dir, created);
      if (store.isReadOnly()) {
        return "the file system of " + dir + " is read-only";
      }
      long free = store.getUsableSpace(); // one statvfs
      if (free < blockSize(store)) {
        return "no space left on the file system of " + dir + " (" + free + " bytes free)";
      }
      return "";
    } catch (IOException e) {
      return "log directory " + dir + " cannot be created: " + OwnedDirectories.reason(e, dir);
    }
  }

  private record Store(FileStore store, long foundAtNanos) {}

  /** Finding a directory's file store reads the mount table (~0.1 ms): done once a minute, and when the directory is new. */
  private final Map<Path, Store> stores = new ConcurrentHashMap<>();
  private static final long STORE_REFRESH_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(1);

  private FileStore store(Path dir, boolean fresh) throws IOException {
    long now = System.nanoTime();
    Store s = stores.get(dir);
    if (fresh || s == null || now - s.foundAtNanos() > STORE_REFRESH_NANOS) {
      s = new Store(Files.getFileStore(dir), now);
      stores.put(dir, s);
    }
    return s.store();
  }

  private static long blockSize(FileStore store) {
    try {
      return Math.max(1, store.getBlockSize());
    } catch (IOException | UnsupportedOperationException e) {
      return 4096;
    }
  }

  /** Why the log of {@code name} cannot be written, while it cannot. */
  Optional<String> of(String name) {
    return Optional.ofNullable(faults.get(name));
  }
}
