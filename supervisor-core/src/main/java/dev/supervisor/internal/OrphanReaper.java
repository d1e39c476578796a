package dev.supervisor.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reaps the orphans the kernel hands this JVM when it is PID 1 (a container's entry point, a new
 * PID namespace) or a child subreaper: descendants whose parent exited are re-parented to it, and
 * nothing in the JVM waits for them, so without this each would stay a zombie until the
 * supervisor exits. Every {@value #SCAN_SECONDS} s ({@code supervisor-orphan-reaper}, a thread
 * that exists only in that role) it lists its children ({@code /proc/self/task/<tid>/children})
 * and reaps, with {@code waitid(P_PID, pid, WEXITED|WNOHANG)}, each zombie it saw as a zombie at
 * the previous scan too, with the same start time. Its own spawned children are reaped by the exit
 * watch at once and the JDK's {@link Process} children by the JDK's reaper threads, so a zombie
 * still there a scan later is one nobody waits for; taking a status someone was about to collect
 * is what the two sightings guard against. Needs the JDK 22+ FFM layer ({@code ReapFfm}); on the
 * JDK 17 layer a PID 1 supervisor says once, at WARN, that orphans will stay zombies.
 */
public final class OrphanReaper {
  private static final Logger log = LoggerFactory.getLogger(OrphanReaper.class);
  static final long SCAN_SECONDS = 2;

  /** The system calls (FFM). */
  interface Calls {
    /** {@code prctl(PR_GET_CHILD_SUBREAPER)}: whether this process is a child subreaper. */
    boolean isSubreaper();

    /** {@code waitid(P_PID, pid, WEXITED|WNOHANG)}: 0 when it was reaped, else the negative errno (or 1: not exited). */
    int reap(long pid);
  }

  private static final AtomicBoolean STARTED = new AtomicBoolean();
  private static final AtomicLong REAPED = new AtomicLong();
  private static final Map<Long, Long> LAST_SEEN = new HashMap<>(); // zombie pid -> start time at the last scan; reaper thread only

  private OrphanReaper() {}

  /** How many orphans were reaped in this JVM (for tests and status). */
  public static long reaped() {
    return REAPED.get();
  }

  /**
   * Starts the reaper once per JVM when this JVM is PID 1 or a subreaper; otherwise nothing. Called
   * as each supervisor starts; harmless to call again.
   */
  public static void startIfReaper() {
    boolean pid1 = ProcessHandle.current().pid() == 1;
    Optional<Calls> calls = load();
    boolean subreaper = calls.map(Calls::isSubreaper).orElse(false);
    if (!pid1 && !subreaper) {
      return;
    }
    if (!STARTED.compareAndSet(false, true)) {
      return;
    }
    String role = pid1 ? "PID 1" : "a child subreaper";
    if (calls.isEmpty()) {
      log.warn("this supervisor is {}, but orphaned descendants re-parented to it cannot be reaped on the {} process layer"
          + " (waitid needs the JDK 22+ FFM layer): they stay zombies until it exits; run it on JDK 22+ or under an init"
          + " such as tini (docker run --init)", role, NativeSignals.layer());
      return;
    }
    log.info("this supervisor is {}: orphaned descendants re-parented to it are reaped every {} s", role, SCAN_SECONDS);
    ScheduledExecutorService t = Executors.newSingleThreadScheduledExecutor(Threads.named("supervisor-orphan-reaper", true));
    Calls c = calls.get();
    t.scheduleWithFixedDelay(() -> {
      try {
        scan(c);
      } catch (RuntimeException e) { // never the end of the reaper
        log.warn("orphan reaping failed: {}", e.toString());
      }
    }, SCAN_SECONDS, SCAN_SECONDS, TimeUnit.SECONDS);
  }

  private static Optional<Calls> load() {
    if (!NativeSignals.active()) {
      return Optional.empty();
    }
    try {
      return Optional.of((Calls) Class.forName("dev.supervisor.internal.ReapFfm").getDeclaredConstructor().newInstance());
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      log.debug("no orphan reaping: {}", e.toString());
      return Optional.empty();
    }
  }

  /** One scan: reaps the zombies seen at the previous scan too; remembers the new ones. */
  static void scan(Calls calls) {
    Map<Long, Long> now = new HashMap<>();
    for (long pid : children()) {
      if (ExitWatch.isPending(pid)) {
        continue; // a child of the FFM spawn: the exit watch reaps it
      }
      Optional<ProcStat> st = ProcStat.read(pid);
      if (st.isEmpty() || st.get().state() != 'Z') {
        continue;
      }
      long start = st.get().startTimeTicks();
      Long before = LAST_SEEN.get(pid);
      if (before != null && before == start) {
        int r = calls.reap(pid);
        if (r == 0) {
          REAPED.incrementAndGet();
          log.debug("reaped orphan {}", pid);
        }
        continue;
      }
      now.put(pid, start);
    }
    LAST_SEEN.clear();
    LAST_SEEN.putAll(now);
  }

  private static final AtomicBoolean NO_CHILDREN_FILE = new AtomicBoolean();

  /**
   * This process's children: the union of its threads' {@code children} lists; where the kernel
   * has none ({@code CONFIG_PROC_CHILDREN} off, some sandboxes), a scan of {@code /proc} for its
   * pid as parent, said once at INFO.
   */
  private static java.util.Set<Long> children() {
    java.util.Set<Long> out = new java.util.HashSet<>();
    boolean read = false;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path task : tasks) {
        if (!Files.exists(task.resolve("children"))) {
          continue;
        }
        read = true;
        try {
          for (String p : Files.readString(task.resolve("children")).trim().split("\\s+")) {
            if (!p.isEmpty()) {
              out.add(Long.parseLong(p));
            }
          }
        } catch (IOException | NumberFormatException e) {
          // a thread that ended meanwhile
        }
      }
    } catch (IOException e) {
      log.debug("cannot list children: {}", e.toString());
    }
    if (!read) {
      if (NO_CHILDREN_FILE.compareAndSet(false, true)) {
        log.info("no /proc/<pid>/task/<tid>/children here: orphans are found by a scan of /proc");
      }
      long self = ProcessHandle.current().pid();
      try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString()
          .chars().allMatch(Character::isDigit))) {
        for (Path p : procs) {
          long pid = Long.parseLong(p.getFileName().toString());
          ProcStat.read(pid).filter(st -> st.ppid() == self).ifPresent(st -> out.add(pid));
        }
      } catch (IOException | RuntimeException e) {
        log.debug("cannot scan /proc: {}", e.toString());
      }
    }
    return out;
  }
}
