package dev.supervisor.testsupport;

import java.io.IOException;
import java.lang.reflect.AnnotatedElement;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaves a process behind, or that starts one the guard could not follow.
 *
 * <ul>
 *   <li><b>The mark.</b> Every process a test starts carries {@code SUPERVISOR_TEST_MARK=<run>.<per-test
 *       uuid>} in its environment ({@link TestChildren}, {@link TestProcesses}), which its own children
 *       inherit. After the test, any live process whose {@code /proc/<pid>/environ} holds the mark is a
 *       leak, grandchildren reparented to init included.
 *   <li><b>Direct children.</b> While the test runs, {@code /proc} is scanned every 50 ms: a child of
 *       this JVM seen without the mark on two scans in a row fails the test (unless the test says why
 *       with {@link UnmarkedChildren});
 *       only the library's own short helpers ({@code kill -s}, {@code getent}, the cgroup join probe)
 *       and a child between fork and exec are let through. Every direct child seen is tracked.
 *   <li><b>Groups and cgroups.</b> The process group, session and (non-shared) cgroups of every marked
 *       or tracked process seen during the test are remembered, and so is every process seen as a
 *       descendant of one: a command run with a cleared environment (the executor's) cannot carry the
 *       mark, but it is still in its parent's group or cgroup, or was seen as its child. After the test
 *       such a process, alive, is a leak too.
 * </ul>
 *
 * A leak is SIGKILLed and the test fails naming it. {@link SuiteSweep} does the same once at the end
 * of each module's test run for every mark of the run, whatever the test.
 */
public final class ProcessLeakGuard implements BeforeEachCallback, AfterEachCallback {
  public static final String MARK_VAR = "SUPERVISOR_TEST_MARK";
  /** Set by {@code .ci/run} for a whole build: every mark of the run starts with it, so the CI scan can find them. */
  public static final String RUN_VAR = "SUPERVISOR_TEST_RUN";
  /** This run's prefix: {@link #RUN_VAR}'s value, or this JVM's own id. */
  public static final String RUN = Optional.ofNullable(System.getenv(RUN_VAR)).filter(s -> s.matches("[A-Za-z0-9_-]+"))
      .orElse("jvm" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8));
  private static final long SELF = ProcessHandle.current().pid();
  private static final Duration SCAN_EVERY = Duration.ofMillis(50);
  private static volatile String mark = RUN + ".unset-" + UUID.randomUUID();
  private static volatile Watch watch;

  /** The mark of the running test. */
  public static String mark() {
    return mark;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    mark = RUN + "." + UUID.randomUUID();
    Watch w = new Watch(mark, unmarkedAllowed(context));
    watch = w;
    w.start();
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    Watch w = watch;
    watch = null;
    if (w == null) {
      w = new Watch(mark, null);
    }
    w.stop();
    w.scan();
    Watch fw = w;
    List<String> leaks;
    try {
      leaks = Awaitility.await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
          .until(fw::survivors, List::isEmpty);
    } catch (ConditionTimeoutException e) {
      leaks = w.survivors();
    }
    for (String leak : leaks) {
      Pids.kill9(Long.parseLong(leak.substring(0, leak.indexOf(' '))));
    }
    List<String> problems = new ArrayList<>();
    if (!leaks.isEmpty()) {
      problems.add("test leaked " + leaks.size() + " process(es) (now killed): " + leaks
          + (w.allowedUnmarked == null ? "" : " (unmarked children allowed: " + w.allowedUnmarked + ")"));
    }
    if (!w.unmarked.isEmpty()) {
      problems.add("test started " + w.unmarked.size() + " direct child process(es) without " + MARK_VAR + " (start them through "
          + "TestProcesses, or give the reason with @UnmarkedChildren): " + w.unmarked);
    }
    if (!problems.isEmpty()) {
      throw new AssertionError(String.join("; ", problems));
    }
  }

  /**
   * Tracks {@code pid} and its descendants for the running test, for a process the guard cannot
   * see as marked or as this JVM's child: it must be gone after the test.
   */
  public static void track(long pid) {
    Watch w = watch;
    if (w != null) {
      Proc p = Proc.read(pid);
      if (p != null) {
        w.tracked.add(p.key());
      }
    }
  }

  private static String unmarkedAllowed(ExtensionContext context) {
    if (context == null) {
      return null;
    }
    for (AnnotatedElement e : List.<AnnotatedElement>of(context.getRequiredTestMethod(), context.getRequiredTestClass())) {
      UnmarkedChildren u = e.getAnnotation(UnmarkedChildren.class);
      if (u != null) {
        return u.value();
      }
    }
    return null;
  }

  /** Live processes (pid and command line) whose environment carries {@code mark}. */
  public static List<String> findMarked(String mark) throws IOException {
    List<String> out = new ArrayList<>();
    for (Pids.Live p : Pids.live()) {
      if (Pids.hasEntry(p.environ(), MARK_VAR + "=" + mark)) {
        out.add(p.pid() + " " + p.cmdline());
      }
    }
    return out;
  }

  /** Live processes other than this JVM whose mark begins with {@code prefix}: pid and command line. */
  public static List<String> findMarkedWithPrefix(String prefix) throws IOException {
    byte[] needle = (MARK_VAR + "=" + prefix).getBytes(StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    for (Pids.Live p : Pids.live()) {
      if (p.pid() != SELF && startsAnEntry(p.environ(), needle)) {
        out.add(p.pid() + " " + p.cmdline());
      }
    }
    return out;
  }

  private static boolean startsAnEntry(byte[] environ, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= environ.length; i++) {
      if (i > 0 && environ[i - 1] != 0) {
        continue;
      }
      for (int j = 0; j < needle.length; j++) {
        if (environ[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /** One process read from {@code /proc}. */
  record Proc(long pid, long ppid, long pgid, long sid, long start, String cmdline, List<String> argv, byte[] environ) {
    String key() {
      return pid + "/" + start;
    }

    boolean hasMark(String mark) {
      if (Pids.hasEntry(environ, MARK_VAR + "=" + mark)) {
        return true;
      }
      // [setsid] env MARK=... cmd: the mark is in what env execs, an instant later
      int at = argv.indexOf(MARK_VAR + "=" + mark);
      for (int i = 0; i < at; i++) {
        if (argv.get(i).equals("env") || argv.get(i).endsWith("/env")) {
          return true;
        }
      }
      return false;
    }

    /**
     * Reads {@code pid}, or null if it is gone or a zombie. The environment is read before the
     * command line: a process that exits between the reads shows an empty environment (its memory
     * is gone), which would look unmarked, but then an empty command line too, and that is skipped.
     */
    static Proc read(long pid) {
      Path dir = Path.of("/proc", Long.toString(pid));
      try {
        byte[] env;
        try {
          env = Files.readAllBytes(dir.resolve("environ"));
        } catch (IOException e) {
          env = new byte[0];
        }
        byte[] raw = Files.readAllBytes(dir.resolve("cmdline"));
        String stat = Files.readString(dir.resolve("stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        if (f[0].equals("Z") || f[0].equals("X")) {
          return null;
        }
        List<String> argv = new ArrayList<>();
        for (String a : new String(raw, StandardCharsets.UTF_8).split("\0")) {
          if (!a.isEmpty() || !argv.isEmpty()) {
            argv.add(a);
          }
        }
        return new Proc(pid, Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[19]),
            String.join(" ", argv).trim(), argv, env);
      } catch (IOException | RuntimeException e) {
        return null; // gone meanwhile
      }
    }

    static List<Proc> all() {
      List<Proc> out = new ArrayList<>();
      try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
        for (Path p : d) {
          Proc proc = read(Long.parseLong(p.getFileName().toString()));
          if (proc != null) {
            out.add(proc);
          }
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return out;
    }
  }

  /** The cgroup lines ({@code id:controllers:path}) of {@code pid}. */
  static List<String> cgroups(long pid) {
    try {
      return Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup"));
    } catch (IOException e) {
      return List.of();
    }
  }

  /** What one test's run has seen. */
  static final class Watch {
    final String mark;
    final String allowedUnmarked;
    final long startTicks = uptimeTicks();
    final long ownPgid;
    final long ownSid;
    final List<String> ownCgroups = cgroups(SELF);
    final Set<String> tracked = java.util.concurrent.ConcurrentHashMap.newKeySet();
    final Set<Long> groups = java.util.concurrent.ConcurrentHashMap.newKeySet();
    final Set<String> cgroupLines = java.util.concurrent.ConcurrentHashMap.newKeySet();
    final Map<String, String> unmarked = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
    private final Set<String> classified = new HashSet<>();
    private final Map<String, String> firstLook = new HashMap<>();
    private ScheduledExecutorService scanner;

    Watch(String mark, String allowedUnmarked) {
      this.mark = mark;
      this.allowedUnmarked = allowedUnmarked;
      Proc self = Proc.read(SELF);
      ownPgid = self == null ? -1 : self.pgid();
      ownSid = self == null ? -1 : self.sid();
    }

    void start() {
      scanner = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "process-leak-guard");
        t.setDaemon(true);
        return t;
      });
      scanner.scheduleWithFixedDelay(() -> {
        try {
          scan();
        } catch (RuntimeException e) {
          // /proc unreadable for a moment: the next scan, and the one after the test, still run
        }
      }, 0, SCAN_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    void stop() throws InterruptedException {
      if (scanner != null) {
        scanner.shutdownNow();
        scanner.awaitTermination(5, TimeUnit.SECONDS);
      }
    }

    /** One look at every process: classifies new direct children, remembers groups and descendants. */
    synchronized void scan() {
      List<Proc> all = Proc.all();
      Map<Long, Proc> byPid = new HashMap<>();
      for (Proc p : all) {
        byPid.put(p.pid(), p);
      }
      for (Proc p : all) {
        if (p.pid() == SELF) {
          continue;
        }
        boolean marked = p.hasMark(mark);
        if (p.ppid() == SELF && !classified.contains(p.key()) && !betweenForkAndExec(p)) {
          // unmarked is judged on a second look, the same: a process in the middle of fork or execve,
          // or exiting, can show an empty environment, or arguments that are neither the old nor the new
          if (!marked && !p.cmdline().equals(firstLook.put(p.key(), p.cmdline()))) {
            continue;
          }
          classified.add(p.key());
          tracked.add(p.key());
          if (!marked && !libraryHelper(p) && allowedUnmarked == null) {
            unmarked.put(p.key(), p.pid() + " " + p.cmdline() + (p.environ().length == 0 ? " (empty environment)" : ""));
          }
        }
        if (!marked && !tracked.contains(p.key())) {
          Proc parent = byPid.get(p.ppid());
          if (parent != null && parent.pid() != SELF && (parent.hasMark(mark) || tracked.contains(parent.key()))) {
            tracked.add(p.key());
          }
        }
        if (marked || tracked.contains(p.key())) {
          if (marked) {
            tracked.add(p.key());
          }
          if (p.pgid() != ownPgid && p.pgid() > 1) {
            groups.add(p.pgid());
          }
          if (p.sid() != ownSid && p.sid() > 1) {
            groups.add(-p.sid());
          }
          for (String line : cgroups(p.pid())) {
            if (ownCgroup(line)) {
              continue;
            }
            cgroupLines.add(line);
          }
        }
      }
    }

    /** Whether {@code line} ({@code id:controllers:path}) is this JVM's own cgroup, or an ancestor of it, or a root. */
    private boolean ownCgroup(String line) {
      int c = line.indexOf(':', line.indexOf(':') + 1);
      String hierarchy = line.substring(0, c + 1);
      String path = line.substring(c + 1);
      if (path.equals("/") || path.isEmpty()) {
        return true;
      }
      for (String own : ownCgroups) {
        if (own.startsWith(hierarchy)) {
          String ownPath = own.substring(c + 1);
          if (ownPath.equals(path) || ownPath.startsWith(path + "/")) {
            return true;
          }
        }
      }
      return false;
    }

    /** Processes that must be gone now: marked, tracked, or in a remembered group, session or cgroup. */
    List<String> survivors() {
      Set<String> out = new LinkedHashSet<>();
      for (Proc p : Proc.all()) {
        if (p.pid() == SELF) {
          continue;
        }
        if (p.hasMark(mark)) {
          out.add(p.pid() + " " + p.cmdline());
        } else if (tracked.contains(p.key())) {
          out.add(p.pid() + " " + p.cmdline() + " (unmarked; seen as a child of this JVM or of a marked process)");
        } else if (p.start() >= startTicks && (groups.contains(p.pgid()) || groups.contains(-p.sid()))) {
          out.add(p.pid() + " " + p.cmdline() + " (unmarked; in the process group or session of a marked process)");
        } else if (!cgroupLines.isEmpty() && !java.util.Collections.disjoint(cgroups(p.pid()), cgroupLines)) {
          out.add(p.pid() + " " + p.cmdline() + " (unmarked; in the cgroup of a marked process)");
        }
      }
      return new ArrayList<>(out);
    }

    /** A child between fork and exec still shows this JVM's command line, or the JDK's spawn helper. */
    private static boolean betweenForkAndExec(Proc p) {
      return p.argv().isEmpty() || p.cmdline().contains("jspawnhelper") || p.argv().get(0).equals(SELF_ARGV0);
    }

    /** The library's own short helpers, run from the supervisor in this JVM with its environment. */
    private static boolean libraryHelper(Proc p) {
      List<String> a = p.argv();
      String cmd = a.get(0);
      return (cmd.endsWith("/kill") && a.size() > 3 && a.get(1).equals("-s") && a.get(3).equals("--"))
          || cmd.endsWith("/getent")
          || (cmd.endsWith("sh") && a.size() == 4 && a.get(1).equals("-c") && a.get(2).equals("echo $$ > \"$0\""));
    }
  }

  private static final String SELF_ARGV0 = Optional.ofNullable(Proc.read(SELF)).filter(p -> !p.argv().isEmpty())
      .map(p -> p.argv().get(0)).orElse("");

  /** Clock ticks since boot ({@code /proc/uptime}, 100 Hz), the unit of a process's start time; a second early. */
  static long uptimeTicks() {
    try {
      String s = Files.readString(Path.of("/proc/uptime"));
      return (long) (Double.parseDouble(s.substring(0, s.indexOf(' '))) * 100) - 100;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
