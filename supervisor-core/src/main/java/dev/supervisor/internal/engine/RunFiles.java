package dev.supervisor.internal.engine;

import dev.supervisor.internal.LogFiles;
import dev.supervisor.internal.OwnedDirectories;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a child's spawn needs from the home, made again if it went away: its log file (the
 * directory created again, the file opened here so that a failure names the file rather than the
 * program being started) and its notify socket. Keeps which file the current run writes, for the
 * log checks ({@link LogFaults}, {@link LogRotation}) on the io thread.
 */
final class RunFiles {
  private static final Logger log = LoggerFactory.getLogger(ChildRunner.class);

  private final Engine engine;
  private final ChildRunner owner;
  /** The inode of the log file the current run writes (set at the spawn). */
  volatile Object logFileKey;
  /** Check the log at the next round, whatever its schedule (a spawn reopened a log that had a fault). */
  volatile boolean logCheckDue;

  RunFiles(Engine engine, ChildRunner owner) {
    this.engine = engine;
    this.owner = owner;
  }

  /** Before a spawn, on the loop: returns why the child cannot start, or null. */
  String prepare() {
    Path logFile = owner.logFile;
    if (logFile != null) {
      try {
        LogFiles.Opened opened = LogFiles.open(logFile);
        if (opened.createdDirectory()) {
          log.warn("log directory {} was missing: created it again (mode 0700)", logFile.toAbsolutePath().getParent());
        }
        logFileKey = opened.fileKey();
        if (engine.logFaults().of(owner.name()).isPresent()) {
          logCheckDue = true; // the next check may clear it
        }
      } catch (IOException e) {
        String why = "log file " + logFile + " cannot be opened: " + OwnedDirectories.reason(e, logFile);
        engine.logFaults().failed(owner, why);
        return why;
      }
    }
    try {
      engine.ensureNotifySocket(owner);
    } catch (IOException e) {
      return e.getMessage();
    }
    return null;
  }
}
