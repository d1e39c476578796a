package dev.supervisor;

import dev.supervisor.internal.FileTail;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The last lines of a log file, read backwards from its end (never more than 16 MiB, whatever
 * the file's size). {@link Supervisor#logTail} does this for a child of a running supervisor; this
 * reads a file directly, as a command line tool does when the supervisor may be down.
 */
public final class LogTail {
  private LogTail() {}

  /** Up to {@code lines} last lines of {@code file}; empty if it does not exist. */
  public static List<String> lastLines(Path file, int lines) throws IOException {
    return FileTail.lastLines(file, lines);
  }
}
