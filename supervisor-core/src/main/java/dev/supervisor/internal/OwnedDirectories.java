package dev.supervisor.internal;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The directories the supervisor owns under its home ({@code logs/}, {@code run/},
 * {@code run/notify/}, {@code incidents/}): created, or created again when something deleted
 * them, with mode 0700 whatever the umask. Threadsafe (two threads creating the same directory
 * both succeed).
 */
public final class OwnedDirectories {

  private static final String IN_THE_WAY = "a file that is not a directory is in the way";

  private OwnedDirectories() {}

  /**
   * Makes {@code dir} (and any missing parent) a directory, each one it creates with mode 0700.
   *
   * @return true if it had to create {@code dir}, false if it was there
   * @throws IOException if it cannot be created, or something that is not a directory is in the
   *     way (the reason then says so: {@code "a file that is not a directory is in the way"})
   */
  public static boolean ensure(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return false;
    }
    for (Path p = dir.toAbsolutePath(); p != null && !Files.isDirectory(p); p = p.getParent()) {
      if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(p)) { // not one made meanwhile
        throw new FileSystemException(p.toString(), null, IN_THE_WAY);
      }
    }
    try {
      PrivateFiles.createDirectories(dir);
    } catch (FileAlreadyExistsException e) {
      if (Files.isDirectory(dir)) { // another process made it at the same moment: it is there, as wanted
        return false;
      }
      throw new FileSystemException(e.getFile(), null, IN_THE_WAY); // a file appeared in the way meanwhile
    }
    return true;
  }

  /**
   * An I/O failure as the operator needs it: the reason ({@code No such file or directory},
   * {@code No space left on device}) and, when it concerns another file than {@code subject}, that file.
   */
  public static String reason(IOException e, Path subject) {
    if (e instanceof FileSystemException f) {
      String why = f.getReason() != null ? f.getReason()
          : e instanceof java.nio.file.NoSuchFileException ? "No such file or directory"
          : e instanceof java.nio.file.AccessDeniedException ? "Permission denied"
          : e instanceof FileAlreadyExistsException ? "File exists"
          : e instanceof java.nio.file.NotDirectoryException ? "not a directory"
          : e.getClass().getSimpleName();
      String file = f.getFile();
      return file != null && subject != null && !file.equals(subject.toString()) ? file + ": " + why : why;
    }
    return e.getMessage() != null ? e.getMessage() : e.toString();
  }
}
