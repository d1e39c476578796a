package dev.supervisor.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files only their owner can use, whatever the umask: directories {@code rwx------} (0700),
 * files {@code rw-------} (0600). New files and directories are created with that mode in the
 * {@code open(2)}/{@code mkdir(2)} call (the umask can only take bits away, so a new file is
 * never readable by others, not even for a moment) and then set to exactly that mode. The
 * create calls leave an existing file's mode alone; {@link #tighten} fixes what an older
 * version or a loose umask left behind, and {@link #tightenHome} does so for the files a
 * supervisor writes in its home.
 *
 * <p>Modes are only ever read and set by path ({@code stat}, {@code chmod}), never through a
 * new descriptor: opening and closing one would drop the fcntl lock this process may hold on the
 * file (the PID lock). Tightening never follows a symbolic link and skips sockets and other
 * special files. On a file system without POSIX permissions everything is created as usual and
 * one WARN says so. Stateless and threadsafe.
 */
public final class PrivateFiles {
  private static final Logger log = LoggerFactory.getLogger(PrivateFiles.class);
  /** {@code rw-------}. */
  public static final Set<PosixFilePermission> FILE = Set.copyOf(PosixFilePermissions.fromString("rw-------"));
  /** {@code rwx------}. */
  public static final Set<PosixFilePermission> DIRECTORY = Set.copyOf(PosixFilePermissions.fromString("rwx------"));
  private static final FileAttribute<Set<PosixFilePermission>> FILE_ATTR = PosixFilePermissions.asFileAttribute(FILE);
  private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY_ATTR = PosixFilePermissions.asFileAttribute(DIRECTORY);
  private static final AtomicBoolean WARNED = new AtomicBoolean();

  private PrivateFiles() {}

  /**
   * Creates {@code dir} and its missing parents, each 0700; directories that exist are left as
   * they are.
   *
   * @return {@code dir}
   * @throws IOException if one cannot be created, or a path on the way is not a directory
   */
  public static Path createDirectories(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return dir;
    }
    if (!posix(dir)) {
      return Files.createDirectories(dir);
    }
    Deque<Path> missing = new ArrayDeque<>();
    for (Path p = dir.toAbsolutePath(); p != null && !Files.exists(p); p = p.getParent()) {
      missing.push(p);
    }
    for (Path p : missing) { // outermost first
      try {
        Files.createDirectory(p, DIRECTORY_ATTR);
        Files.setPosixFilePermissions(p, DIRECTORY);
      } catch (FileAlreadyExistsException e) {
        if (!Files.isDirectory(p)) {
          throw e;
        }
        // made by a racing creator a moment ago: theirs to set
      }
    }
    return dir;
  }

  /**
   * Creates {@code file} (0600) unless it exists; an existing file is left as it is. Its
   * directory must exist.
   *
   * @return true if this call created it
   * @throws IOException if it cannot be created
   */
  public static boolean createFile(Path file) throws IOException {
    try {
      if (!posix(file)) {
        Files.createFile(file);
        return true;
      }
      Files.createFile(file, FILE_ATTR);
    } catch (FileAlreadyExistsException e) {
      return false;
    }
    Files.setPosixFilePermissions(file, FILE);
    return true;
  }

  /**
   * {@link FileChannel#open(Path, OpenOption...)}, where a file it creates is 0600 and an
   * existing one opened for writing is set to 0600 before the channel is returned (before
   * anything is written through it).
   *
   * @throws IOException as {@code FileChannel.open}, or if the mode cannot be set
   */
  public static FileChannel open(Path file, OpenOption... options) throws IOException {
    Set<OpenOption> set = new HashSet<>(List.of(options));
    if (!posix(file)) {
      return FileChannel.open(file, set);
    }
    FileChannel ch = FileChannel.open(file, set, FILE_ATTR);
    if (set.contains(StandardOpenOption.WRITE) || set.contains(StandardOpenOption.APPEND)) {
      try {
        if (!Files.getPosixFilePermissions(file).equals(FILE)) {
          Files.setPosixFilePermissions(file, FILE);
        }
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
    }
    return ch;
  }

  /** An output stream on {@link #open}{@code (file, WRITE, options...)}. */
  public static OutputStream newOutputStream(Path file, OpenOption... options) throws IOException {
    OpenOption[] withWrite = java.util.Arrays.copyOf(options, options.length + 1);
    withWrite[options.length] = StandardOpenOption.WRITE;
    return Channels.newOutputStream(open(file, withWrite));
  }

  /** Writes {@code bytes} through {@link #open}{@code (file, WRITE, options...)}. */
  public static void write(Path file, byte[] bytes, OpenOption... options) throws IOException {
    OpenOption[] withWrite = java.util.Arrays.copyOf(options, options.length + 1);
    withWrite[options.length] = StandardOpenOption.WRITE;
    try (FileChannel ch = open(file, withWrite)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    }
  }

  /** What {@link #tighten} changed, and what it could not. */
  public record Tightened(int files, int directories, List<String> failures) {
    public Tightened {
      failures = List.copyOf(failures);
    }

    /** Nothing was loose. */
    public boolean none() {
      return files == 0 && directories == 0 && failures.isEmpty();
    }
  }

  /**
   * Sets every regular file among {@code paths} to 0600 and every directory to 0700 if it grants
   * anything to group or others; below each of {@code trees}, everything too. Missing paths,
   * symbolic links (never followed) and special files are skipped. Logs one WARN line naming
   * {@code root} when anything was changed or could not be; never throws.
   */
  public static Tightened tighten(Path root, Collection<Path> paths, Collection<Path> trees) {
    Walk w = new Walk();
    if (posix(root)) {
      for (Path p : paths) {
        w.fix(p);
      }
      for (Path t : trees) {
        w.tree(t);
      }
    }
    Tightened t = new Tightened(w.files, w.directories, w.failures);
    if (!t.none()) {
      log.warn(describe(root, t));
    }
    return t;
  }

  /**
   * Tightens what a supervisor writes in {@code home}: {@code state.json*},
   * {@code supervisor.pid}, and everything under {@code logs/}, {@code incidents/} and
   * {@code run/}. The home itself and any other file in it are left alone: a host may keep its
   * own files there, and its mode is the host's choice.
   */
  public static Tightened tightenHome(Path home) {
    return tightenHome(home, List.of());
  }

  /** {@link #tightenHome(Path)} and each of {@code more} (not what is inside), in one pass and one line. */
  public static Tightened tightenHome(Path home, Collection<Path> more) {
    List<Path> files = new ArrayList<>(more);
    files.add(dev.supervisor.persist.PidLock.fileOf(home));
    try (DirectoryStream<Path> state = Files.newDirectoryStream(home, "state.json*")) {
      state.forEach(files::add);
    } catch (IOException e) {
      // no home yet, or unreadable: the walk below reports what matters
    }
    return tighten(home, files, List.of(home.resolve("logs"), home.resolve("incidents"), home.resolve("run")));
  }

  /**
   * {@code "tightened 3 files and 1 directory under /h to 0600/0700 (they were open to other users)"},
   * then {@code "; could not tighten 1 (it stays open to other users; fix it by hand): /h/x: ..."} if any failed.
   */
  static String describe(Path root, Tightened t) {
    List<String> what = new ArrayList<>();
    if (t.files() > 0) {
      what.add(t.files() + (t.files() == 1 ? " file" : " files"));
    }
    if (t.directories() > 0) {
      what.add(t.directories() + (t.directories() == 1 ? " directory" : " directories"));
    }
    StringBuilder s = new StringBuilder();
    if (!what.isEmpty()) {
      s.append("tightened ").append(String.join(" and ", what)).append(" under ").append(root)
          .append(" to 0600/0700 (they were open to other users)");
    }
    int n = t.failures().size();
    if (n > 0) {
      s.append(s.length() == 0 ? "could not tighten " + n + " under " + root : "; could not tighten " + n)
          .append(n == 1 ? " (it stays" : " (they stay").append(" open to other users; fix by hand): ")
          .append(t.failures().get(0)).append(n > 1 ? " ..." : "");
    }
    return s.toString();
  }

  private static boolean posix(Path p) {
    if (p.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return true;
    }
    if (WARNED.compareAndSet(false, true)) {
      log.warn("the file system of {} has no POSIX permissions: the supervisor's files get its default access,"
          + " which may let other users read logs and state", p);
    }
    return false;
  }

  private static boolean loose(Set<PosixFilePermission> perms) {
    for (PosixFilePermission p : perms) {
      if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS")) {
        return true;
      }
    }
    return false;
  }

  /** One tightening pass: counts and failures. */
  private static final class Walk {
    int files;
    int directories;
    final List<String> failures = new ArrayList<>();

    void fix(Path p) {
      PosixFileAttributes a;
      try {
        a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS); // lstat: no descriptor
      } catch (NoSuchFileException e) {
        return;
      } catch (IOException | RuntimeException e) {
        failures.add(p + ": " + e.getMessage());
        return;
      }
      if (!(a.isRegularFile() || a.isDirectory()) || !loose(a.permissions())) {
        return;
      }
      try {
        Files.setPosixFilePermissions(p, a.isDirectory() ? DIRECTORY : FILE); // chmod by path; p is no link (lstat above)
        if (a.isDirectory()) {
          directories++;
        } else {
          files++;
        }
      } catch (IOException | RuntimeException e) {
        failures.add(p + ": " + e.getMessage());
      }
    }

    void tree(Path top) {
      if (!Files.isDirectory(top, LinkOption.NOFOLLOW_LINKS)) {
        fix(top);
        return;
      }
      try {
        Files.walkFileTree(top, new SimpleFileVisitor<>() { // does not follow links
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            fix(dir);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            if (attrs.isRegularFile()) {
              fix(file);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) {
            if (!(e instanceof NoSuchFileException)) {
              failures.add(file + ": " + e.getMessage());
            }
            return FileVisitResult.CONTINUE;
          }
        });
      } catch (IOException e) {
        failures.add(top + ": " + e.getMessage());
      }
    }
  }
}
