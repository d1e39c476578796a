package dev.supervisor.persist;

import dev.supervisor.internal.PrivateFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;

/**
 * Files and directories only their owner can use, whatever the umask: directories 0700, files
 * 0600, the way a {@code Supervisor} keeps its home. For a host that writes its own files
 * beside the supervisor's (a database, its own logs) and for the ipc module. A file is created
 * with that mode in the create call itself, so it is never readable by others, not even for a
 * moment. Stateless and threadsafe.
 */
public final class OwnerOnly {
  private OwnerOnly() {}

  /**
   * Creates {@code dir} and any missing parent, each 0700; existing directories keep their mode
   * (see {@link #tighten}).
   *
   * @return {@code dir}
   * @throws IOException if a directory cannot be created, or a path on the way is not a directory
   */
  public static Path createDirectories(Path dir) throws IOException {
    return PrivateFiles.createDirectories(dir);
  }

  /**
   * Creates the empty file {@code file}, 0600, unless it exists (an existing file keeps its mode).
   * Open it afterwards as usual: opening an existing file does not change its mode.
   *
   * @return true if this call created it
   * @throws IOException if its directory is missing or the file cannot be created
   */
  public static boolean createFile(Path file) throws IOException {
    return PrivateFiles.createFile(file);
  }

  /**
   * Tightens, in one pass, what a {@code Supervisor} on {@code home} writes ({@code state.json*},
   * {@code supervisor.pid}, everything under {@code logs/}, {@code incidents/} and {@code run/}:
   * what its start tightens) and each of {@code more}: a file or directory that grants anything to
   * group or others becomes 0600 or 0700 (what is inside a directory of {@code more} is not
   * touched). Missing paths, symbolic links (never followed) and special files are skipped. If
   * anything changed or could not be changed, logs one WARN line: {@code tightened 2 files and 1
   * directory under /h to 0600/0700 (they were open to other users)}. Safe while a supervisor
   * runs on {@code home} (modes are set by path; no file is opened). Never throws.
   *
   * @return how many files and directories were changed
   */
  public static int tightenHome(Path home, Collection<Path> more) {
    PrivateFiles.Tightened t = PrivateFiles.tightenHome(home, more);
    return t.files() + t.directories();
  }
}
