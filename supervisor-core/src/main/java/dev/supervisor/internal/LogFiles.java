package dev.supervisor.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.GZIPOutputStream;

/**
 * Size-based rotation of a log file that a live child keeps appending to (O_APPEND):
 * copy, then truncate in place. Files: {@code x.log} (current), {@code x.log.1[.gz]} (newest
 * rotated) ... {@code x.log.N[.gz]}, each 0600 ({@link PrivateFiles}). Not threadsafe: one caller at a time per file.
 */
public final class LogFiles {
  private LogFiles() {}

  /** What {@link #open(Path)} found: the file's key (its inode) and whether its directory had to be created again. */
  public record Opened(Object fileKey, boolean createdDirectory) {}

  /**
   * Opens {@code log} for appending and closes it again, creating its directory (0700) and the
   * file (0600) when missing: done before each spawn, so that a log that cannot be opened is
   * reported as such (the JDK would blame the program it was starting) and a deleted directory
   * comes back.
   *
   * @throws IOException if the directory or the file cannot be created or opened
   */
  public static Opened open(Path log) throws IOException {
    boolean created = OwnedDirectories.ensure(log.toAbsolutePath().getParent());
    try {
      createOrOpen(log);
    } catch (java.nio.file.NoSuchFileException e) { // the directory went away again in between (rm -rf racing the spawn)
      created |= OwnedDirectories.ensure(log.toAbsolutePath().getParent());
      createOrOpen(log);
    }
    return new Opened(fileKey(log), created);
  }

  private static void createOrOpen(Path log) throws IOException {
    try (FileChannel ch = FileChannel.open(log, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")))) {
      // opened: what the child's stdout will be
    }
  }

  /** The file's key (device and inode), or null when the file system has none. */
  public static Object fileKey(Path file) throws IOException {
    return Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
  }

  /** {@code x.log.i} or {@code x.log.i.gz}. */
  public static Path rotated(Path log, int i, boolean gzip) {
    return log.resolveSibling(log.getFileName() + "." + i + (gzip ? ".gz" : ""));
  }

  /**
   * Rotates {@code log} if it is larger than {@code maxBytes}.
   *
   * @return the rotated file's path, or null if nothing was done
   */
  public static Path rotateIfLarger(Path log, long maxBytes, int keep, boolean gzip) throws IOException {
    long size;
    try {
      size = Files.size(log);
    } catch (java.nio.file.NoSuchFileException e) {
      return null;
    }
    if (size <= maxBytes) {
      return null;
    }
    return rotate(log, keep, gzip);
  }

  /**
   * Deletes rotated files of {@code log} last modified more than {@code maxAge} ago, then the
   * oldest ones while all rotated files together exceed {@code maxTotalBytes} (0: no cap): the
   * newest that fit are kept, from the first that does not on all are deleted (a newest file that
   * alone exceeds the cap goes, and all before it).
   *
   * @return the files deleted
   */
  public static java.util.List<Path> prune(Path log, java.time.Duration maxAge, long maxTotalBytes, java.time.Instant now)
      throws IOException {
    java.util.TreeMap<Integer, Path> byIndex = new java.util.TreeMap<>(); // newest (.1) first
    java.util.regex.Pattern name = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(log.getFileName().toString())
        + "\\.(\\d{1,5})(\\.gz)?");
    try (java.nio.file.DirectoryStream<Path> dir = Files.newDirectoryStream(log.toAbsolutePath().getParent(),
        log.getFileName() + ".*")) {
      for (Path p : dir) {
        java.util.regex.Matcher m = name.matcher(p.getFileName().toString());
        if (m.matches()) {
          byIndex.put(Integer.parseInt(m.group(1)) * 2 + (m.group(2) == null ? 1 : 0), p);
        }
      }
    } catch (java.nio.file.NoSuchFileException e) {
      return java.util.List.of();
    }
    java.util.List<Path> rotatedFiles = new java.util.ArrayList<>(byIndex.values());
    java.util.List<Path> deleted = new java.util.ArrayList<>();
    long total = 0;
    boolean full = false; // once one file does not fit, every older one goes too: never a newer file deleted and an older kept
    for (Path p : rotatedFiles) {
      boolean old = Files.getLastModifiedTime(p).toInstant().isBefore(now.minus(maxAge));
      long size = Files.size(p);
      full |= maxTotalBytes > 0 && total + size > maxTotalBytes;
      if (old || full) {
        Files.deleteIfExists(p);
        deleted.add(p);
      } else {
        total += size;
      }
    }
    return deleted;
  }

  /** Shifts the rotated files, copies {@code log} into {@code log.1[.gz]} and truncates it to zero. */
  public static Path rotate(Path log, int keep, boolean gzip) throws IOException {
    Files.deleteIfExists(rotated(log, keep, true));
    Files.deleteIfExists(rotated(log, keep, false));
    for (int i = keep - 1; i >= 1; i--) {
      for (boolean gz : new boolean[] {true, false}) {
        Path from = rotated(log, i, gz);
        if (Files.exists(from)) {
          Files.move(from, rotated(log, i + 1, gz), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    Path plain = rotated(log, 1, false);
    Path tmp = log.resolveSibling(log.getFileName() + ".1.tmp");
    try (FileChannel src = FileChannel.open(log, StandardOpenOption.READ, StandardOpenOption.WRITE);
         FileChannel dst = PrivateFiles.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      long pos = 0;
      // Copy until the size stops moving, then truncate at once: the writer appends (O_APPEND),
      // so its next write lands at offset 0 of the emptied file.
      for (int round = 0; round < 16; round++) {
        long size = src.size();
        if (size <= pos) {
          break;
        }
        while (pos < size) {
          long n = src.transferTo(pos, size - pos, dst);
          if (n <= 0) {
            break;
          }
          pos += n;
        }
      }
      src.truncate(0);
      dst.force(false);
    }
    if (!gzip) {
      Files.move(tmp, plain, StandardCopyOption.REPLACE_EXISTING);
      return plain;
    }
    Path gz = rotated(log, 1, true);
    Path gzTmp = log.resolveSibling(log.getFileName() + ".1.gz.tmp");
    try (InputStream in = Files.newInputStream(tmp);
         OutputStream out = new GZIPOutputStream(PrivateFiles.newOutputStream(gzTmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING), 64 * 1024)) {
      in.transferTo(out);
    }
    Files.move(gzTmp, gz, StandardCopyOption.REPLACE_EXISTING);
    Files.delete(tmp);
    return gz;
  }
}
