package dev.supervisor.persist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.internal.PrivateFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single-instance lock of a supervisor home: an exclusive {@code fcntl} lock on
 * {@code <home>/supervisor.pid}, held for the owner's lifetime and released by the OS when the
 * process dies. The file holds the owner's pid on its first line (for {@code kill $(head -1 ...)})
 * and a JSON line with its start-time signature, the library version and the start instant.
 *
 * <p>The lock is decided by the OS lock alone, never by the file's content: a stale file (dead
 * owner, recycled pid, garbage) whose lock nobody holds is reclaimed, and the reclaim is logged.
 * The file is written only through the locked channel and never replaced by rename, and this
 * JVM never opens it a second time while it holds the lock (closing any other descriptor of the
 * file would silently drop an fcntl lock). Threadsafe.
 */
public final class PidLock implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PidLock.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Locks held by this JVM, by real path: a second acquire must not even open the file. */
  private static final Map<Path, PidLock> HELD = new ConcurrentHashMap<>();

  /**
   * Who holds a lock.
   *
   * @param signature the owner process
   * @param startedAt when it took the lock
   * @param version the library version it runs
   */
  public record Owner(ProcessSignature signature, Instant startedAt, String version) {}

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;
  private final Owner owner;

  private PidLock(Path file, FileChannel channel, FileLock lock, Owner owner) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
    this.owner = owner;
  }

  /**
   * Takes the lock or fails at once.
   *
   * @throws AlreadyRunningException if a live process (this one included) holds it
   * @throws IOException if the file cannot be created or written
   */
  public static PidLock acquire(Path file) throws IOException {
    Path key = file.toAbsolutePath().normalize();
    PidLock mine = HELD.get(key);
    if (mine != null) {
      throw new AlreadyRunningException(Optional.of(mine.owner), key);
    }
    synchronized (HELD) {
      mine = HELD.get(key);
      if (mine != null) {
        throw new AlreadyRunningException(Optional.of(mine.owner), key);
      }
      FileChannel ch = PrivateFiles.open(key, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE); // 0600, set by path
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
      if (lock == null) {
        // The holder may have taken the lock a moment ago and not yet written its pid: give it 1 s. Or it is a
        // prober (liveOwner in another process), which holds the lock for an instant and writes nothing: try again.
        Optional<Owner> holder = parse(read(ch));
        for (int i = 0; i < 100 && holder.isEmpty() && lock == null; i++) {
          java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
          holder = parse(read(ch));
          if (holder.isEmpty()) {
            try {
              lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
              lock = null;
            }
          }
        }
        if (lock == null) {
          ch.close();
          throw new AlreadyRunningException(holder, key);
        }
      }
      try {
        String previous = read(ch);
        if (!previous.isBlank()) {
          Optional<Owner> old = parse(previous);
          if (old.isEmpty()) {
            log.warn("reclaiming lock file {}: its content is unreadable and no process holds its lock", key);
          } else if (old.get().signature().isAlive()) {
            log.warn("reclaiming lock file {}: its recorded owner (pid {}) is alive but does not hold the lock", key,
                old.get().signature().pid());
          } else if (ProcessSignature.of(old.get().signature().pid()).isPresent()) {
            log.info("reclaiming stale lock file {}: pid {} now belongs to another process (start time differs)", key,
                old.get().signature().pid());
          } else {
            log.info("reclaiming stale lock file {}: its owner pid {} is dead", key, old.get().signature().pid());
          }
        }
        Owner me = new Owner(ProcessSignature.current(), Instant.now(), version());
        write(ch, me);
        PidLock pl = new PidLock(key, ch, lock, me);
        HELD.put(key, pl);
        return pl;
      } catch (IOException | RuntimeException e) {
        lock.release();
        ch.close();
        throw e;
      }
    }
  }

  /** The lock file of a supervisor home: {@code <home>/supervisor.pid}. */
  public static Path fileOf(Path home) {
    return home.resolve("supervisor.pid");
  }

  /**
   * The live owner of the lock at {@code file}, without taking it: empty when nobody holds it.
   * Safe to call from the JVM that holds it.
   *
   * @throws IOException if the file exists but cannot be read
   */
  public static Optional<Owner> liveOwner(Path file) throws IOException {
    Path key = file.toAbsolutePath().normalize();
    PidLock mine = HELD.get(key);
    if (mine != null) {
      return Optional.of(mine.owner);
    }
    if (!java.nio.file.Files.exists(key)) {
      return Optional.empty();
    }
    synchronized (HELD) {
      if (HELD.containsKey(key)) {
        return Optional.of(HELD.get(key).owner);
      }
      try (FileChannel ch = FileChannel.open(key, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        FileLock probe;
        try {
          probe = ch.tryLock();
        } catch (OverlappingFileLockException e) {
          probe = null;
        }
        if (probe != null) {
          probe.release();
          return Optional.empty();
        }
        return parse(read(ch)).filter(o -> o.signature().isAlive());
      }
    }
  }

  /** This lock's owner (this process). */
  public Owner owner() {
    return owner;
  }

  public Path file() {
    return file;
  }

  /** Releases the lock. The file is emptied but not deleted (deleting would let two owners race on two inodes). */
  @Override
  public void close() {
    synchronized (HELD) {
      if (HELD.remove(file, this)) {
        try {
          channel.truncate(0);
          lock.release();
          channel.close();
        } catch (IOException e) {
          log.warn("releasing lock {}: {}", file, e.toString());
        }
      }
    }
  }

  private static String read(FileChannel ch) throws IOException {
    long size = Math.min(ch.size(), 64 * 1024);
    ByteBuffer buf = ByteBuffer.allocate((int) size);
    while (buf.hasRemaining() && ch.read(buf, buf.position()) > 0) {
      // read until full
    }
    return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
  }

  private static void write(FileChannel ch, Owner o) throws IOException {
    ObjectNode n = JSON.createObjectNode();
    n.put("pid", o.signature().pid()).put("startTicks", o.signature().startTicks())
        .put("startedAt", o.startedAt().toString()).put("version", o.version());
    byte[] bytes = (o.signature().pid() + "\n" + n + "\n").getBytes(StandardCharsets.UTF_8);
    ch.truncate(0);
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    long pos = 0;
    while (buf.hasRemaining()) {
      pos += ch.write(buf, pos);
    }
    ch.force(true);
  }

  static Optional<Owner> parse(String text) {
    String[] lines = text.split("\n");
    if (lines.length < 2) {
      return Optional.empty();
    }
    try {
      JsonNode n = JSON.readTree(lines[1]);
      long pid = Long.parseLong(lines[0].trim());
      if (n == null || n.path("pid").asLong(-1) != pid) {
        return Optional.empty();
      }
      return Optional.of(new Owner(new ProcessSignature(pid, n.path("startTicks").asLong()),
          Instant.parse(n.path("startedAt").asText()), n.path("version").asText("unknown")));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The library version (from the jar manifest), or "dev". */
  public static String version() {
    String v = PidLock.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
