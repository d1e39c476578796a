package dev.supervisor.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cgroup per child, so that every process descended from it stops with it, including one that
 * called {@code setsid} or double-forked (it leaves the process group, never the cgroup).
 *
 * <p>The layout is detected, never assumed: the cgroup2 mount from {@code /proc/self/mountinfo}
 * and this process's own cgroup from {@code /proc/self/cgroup} ({@code 0::/path}); failing that, a
 * v1 {@code freezer} or {@code pids} hierarchy. The children's cgroups are made beneath this
 * process's own cgroup: {@code <own>/supervisor-<jvm pid>/<child>-<run>}. The per-JVM directory
 * holds no process, so the v2 "no internal processes" rule never bites, and it is removed with
 * its last child cgroup. Detection tries a real join once (a shell writing its pid into a probe
 * cgroup), so a layout that looks usable but refuses the move falls back instead of failing
 * every start.
 *
 * <p>Killing everything in a cgroup: v2 {@code cgroup.kill} (kernel 5.14+); else v2
 * {@code cgroup.freeze} or v1 {@code freezer.state}: freeze, SIGKILL each pid, thaw; else (v1
 * {@code pids}, or v2 without either file) {@code pids.max} 0 where there is one, then SIGKILL
 * each pid until none is left.
 */
public final class Cgroups {
  private static final Logger log = LoggerFactory.getLogger(Cgroups.class);
  /** The in-child join: the wrapper writes its own pid, then execs the rest of the command line. */
  static final String JOIN_SCRIPT = "echo $$ > \"$0\" && exec \"$@\"";
  /**
   * The join for a child whose parent-death signal is already set (it runs after setpriv's
   * {@code prctl}): {@code sh -c SCRIPT cgroup.procs <supervisor pid> command...}. If the
   * supervisor died before the prctl, the shell's {@code $PPID} (read at its start) is another
   * process and it exits; if it dies later, the signal ends the child. See {@link PrivilegedCommand}.
   */
  static final String JOIN_SCRIPT_PARENT_CHECKED = "[ \"$PPID\" = \"$1\" ] || exit 1; echo $$ > \"$0\" || exit; shift; "
      + "exec \"$@\"";
  private static final Pattern ROOT_NAME = Pattern.compile("supervisor-(\\d+)");
  static final Pattern SLOT_NAME = Pattern.compile("ll-\\d+");
  static final long SELF = ProcessHandle.current().pid();
  static final Object LOCK = new Object();
  /** Freezer kills and pid loops can block: they run here, off the supervisor's event loop. */
  static final ExecutorService KILLER = Executors.newCachedThreadPool(Threads.named("supervisor-cgroup-kill", true));

  /** What a launcher asks for: detected ({@code auto}), one kind of cgroup, or none. */
  public enum Mode {
    AUTO("auto"), V2("cgroup-v2"), V1_FREEZER("cgroup-v1-freezer"), V1_PIDS("cgroup-v1-pids"), PROCESS_GROUP("process-group");

    final String key;

    Mode(String key) {
      this.key = key;
    }

    /** {@code auto}, {@code cgroup-v2}, {@code cgroup-v1-freezer}, {@code cgroup-v1-pids} or {@code process-group}. */
    public static Mode parse(String s) {
      String k = s.trim().toLowerCase(Locale.ROOT);
      for (Mode m : values()) {
        if (m.key.equals(k)) {
          return m;
        }
      }
      throw new IllegalArgumentException("unknown containment '" + s + "': auto, cgroup-v2, cgroup-v1-freezer, cgroup-v1-pids or process-group");
    }

    @Override
    public String toString() {
      return key;
    }
  }

  /** How a hierarchy kills what is in a cgroup. */
  enum Kind {
    V2_KILL("cgroup v2, cgroup.kill"), V2_FREEZE("cgroup v2, freeze + SIGKILL each + thaw"),
    V2_PLAIN("cgroup v2, SIGKILL each until empty"), V1_FREEZER("cgroup v1 freezer, freeze + SIGKILL each + thaw"),
    V1_PIDS("cgroup v1 pids, pids.max 0 + SIGKILL each until empty");

    final String text;

    Kind(String text) {
      this.text = text;
    }

    boolean v2() {
      return this == V2_KILL || this == V2_FREEZE || this == V2_PLAIN;
    }
  }

  private static final Map<Mode, Optional<Hierarchy>> DETECTED = new ConcurrentHashMap<>();
  private static final Map<Mode, String> WHY_NOT = new ConcurrentHashMap<>();

  private Cgroups() {}

  /**
   * The hierarchy children's cgroups are made in for {@code mode}, detected once per mode (with
   * one log line saying what applies); empty when none can be used here.
   */
  public static Optional<Hierarchy> hierarchy(Mode mode) {
    return DETECTED.computeIfAbsent(mode, Cgroups::detectAndLog);
  }

  /** Why {@link #hierarchy} is empty for {@code mode} ("" when it is not). */
  public static String whyNot(Mode mode) {
    hierarchy(mode);
    return WHY_NOT.getOrDefault(mode, "");
  }

  private static Optional<Hierarchy> detectAndLog(Mode mode) {
    if (mode == Mode.PROCESS_GROUP) {
      WHY_NOT.put(mode, "cgroups turned off (containment " + mode + ")");
      return Optional.empty();
    }
    List<String> why = new ArrayList<>();
    Optional<Hierarchy> h = detect(mode, why);
    if (h.isPresent()) {
      log.info("containment: a cgroup per child under {} ({}){}", h.get().root, h.get().kind.text, h.get().favorDynMods ? ""
          : "; each join waits for an RCU grace period, a few ms (the cgroup mount option favordynmods avoids that)");
    } else {
      WHY_NOT.put(mode, why.isEmpty() ? "no cgroup hierarchy found" : String.join("; ", why));
    }
    return h;
  }

  private static Optional<Hierarchy> detect(Mode mode, List<String> why) {
    if (ProcessGroups.tool("sh").isEmpty()) {
      why.add("no /bin/sh to join a child to its cgroup");
      return Optional.empty();
    }
    List<CgroupMounts.Mount> mounts;
    Map<String, String> own;
    try {
      mounts = CgroupMounts.mounts(Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8));
      own = CgroupMounts.ownCgroups(Files.readAllLines(Path.of("/proc/self/cgroup"), StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      why.add("cannot read /proc/self/mountinfo or /proc/self/cgroup: " + e.getMessage());
      return Optional.empty();
    }
    List<CgroupMounts.Candidate> candidates = new ArrayList<>();
    Optional<CgroupMounts.Candidate> v2 = CgroupMounts.candidate(mounts, own, "cgroup2", "", why);
    Optional<CgroupMounts.Candidate> freezer = CgroupMounts.candidate(mounts, own, "cgroup", "freezer", why);
    Optional<CgroupMounts.Candidate> pids = CgroupMounts.candidate(mounts, own, "cgroup", "pids", why);
    switch (mode) {
      case V2 -> v2.ifPresent(candidates::add);
      case V1_FREEZER -> freezer.ifPresent(candidates::add);
      case V1_PIDS -> pids.ifPresent(candidates::add);
      default -> {
        // cgroup.kill or cgroup.freeze first, then the v1 freezer, then v2 without either, then v1 pids
        v2.filter(c -> c.kind() != Kind.V2_PLAIN).ifPresent(candidates::add);
        freezer.ifPresent(candidates::add);
        v2.filter(c -> c.kind() == Kind.V2_PLAIN).ifPresent(candidates::add);
        pids.ifPresent(candidates::add);
      }
    }
    if (candidates.isEmpty() && why.isEmpty()) {
      why.add("no " + (mode == Mode.AUTO ? "cgroup2, freezer or pids" : mode.key) + " hierarchy mounted");
    }
    for (CgroupMounts.Candidate c : candidates) {
      Hierarchy h = new Hierarchy(c.kind(), c.mount(), c.own(), c.favorDynMods());
      Optional<String> problem = h.probe();
      if (problem.isEmpty()) {
        h.sweepStale();
        return Optional.of(h);
      }
      why.add(c.kind().text + " at " + c.own() + ": " + problem.get());
    }
    return Optional.empty();
  }

  /**
   * The cgroup a saved state names, when it is one of a supervisor's child cgroups
   * ({@code .../supervisor-<pid>/<child>} on a cgroup mount) and still exists: recovery kills what
   * is left in it. Anything else is refused, so a damaged state file cannot aim the kill elsewhere.
   */
  public static Optional<ChildCgroup> saved(String path) {
    try {
      Path p = Path.of(path).normalize();
      if (!p.isAbsolute() || !Files.isRegularFile(p.resolve("cgroup.procs"))) {
        return Optional.empty();
      }
      Path parent = p.getParent();
      if (parent != null && SLOT_NAME.matcher(parent.getFileName().toString()).matches()) {
        parent = parent.getParent();
      }
      if (parent == null || parent.getFileName() == null || !ROOT_NAME.matcher(parent.getFileName().toString()).matches()) {
        return Optional.empty();
      }
      for (CgroupMounts.Mount m : CgroupMounts.mounts(Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8))) {
        if (p.startsWith(m.point()) && !p.equals(m.point())) {
          Kind kind = m.fstype().equals("cgroup2") ? (Files.exists(p.resolve("cgroup.kill")) ? Kind.V2_KILL
              : Files.exists(p.resolve("cgroup.freeze")) ? Kind.V2_FREEZE : Kind.V2_PLAIN)
              : m.superOptions().contains("freezer") ? Kind.V1_FREEZER : m.superOptions().contains("pids") ? Kind.V1_PIDS : null;
          if (kind != null) {
            return Optional.of(new ChildCgroup(kind, p, null));
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      log.debug("cannot check saved cgroup {}: {}", path, e.toString());
    }
    return Optional.empty();
  }

  /** How many processes are in the cgroup {@code dir} (sub-cgroups included); 0 once it is gone. */
  public static int count(Path dir) {
    List<Long> out = new ArrayList<>();
    ChildCgroup.collect(dir, out);
    return out.size();
  }

  /** A hierarchy with this process's own cgroup in it, where children's cgroups are made. */
  public static final class Hierarchy {
    /** Set again by the probe for v2: the interface files show in a child cgroup, never in the root. */
    volatile Kind kind;
    final Path mount;
    final Path own;
    /** {@code <own>/supervisor-<jvm pid>}: made with the first child cgroup, removed with the last. */
    final Path root;
    /** Whether migrations skip the RCU grace period ({@code favordynmods} on the mount). */
    final boolean favorDynMods;
    private final AtomicInteger probes = new AtomicInteger();
    private final Map<Object, Path> slots = new ConcurrentHashMap<>();

    Hierarchy(Kind kind, Path mount, Path own, boolean favorDynMods) {
      this.kind = kind;
      this.mount = mount;
      this.own = own;
      this.favorDynMods = favorDynMods;
      this.root = own.resolve("supervisor-" + SELF);
    }

    /** In words, for logs and the README: "cgroup v2, cgroup.kill". */
    public String describe() {
      return kind.text;
    }

    /** Where the children's cgroups go. */
    public Path root() {
      return root;
    }

    /** Makes a cgroup, has a shell join it and exit; empty when that worked. */
    private Optional<String> probe() {
      ChildCgroup g;
      try {
        g = create(null, "probe-" + probes.incrementAndGet());
      } catch (IOException e) {
        pruneRoot(root);
        return Optional.of("cannot make a cgroup: " + e.getMessage());
      }
      if (kind.v2()) {
        kind = Files.exists(g.dir().resolve("cgroup.kill")) ? Kind.V2_KILL
            : Files.exists(g.dir().resolve("cgroup.freeze")) ? Kind.V2_FREEZE : Kind.V2_PLAIN;
        g = new ChildCgroup(kind, g.dir(), this);
      }
      try {
        Process p = new ProcessBuilder(ProcessGroups.tool("sh").get(), "-c", "echo $$ > \"$0\"", g.procs().toString())
            .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          return Optional.of("the join probe did not finish");
        }
        return p.exitValue() == 0 ? Optional.empty() : Optional.of("a process cannot join it (" + out + ")");
      } catch (IOException e) {
        return Optional.of("cannot run the join probe: " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.of("interrupted");
      } finally {
        g.awaitEmpty(Duration.ofSeconds(1));
        g.remove();
      }
    }

    /**
     * A new cgroup for run {@code run} of child {@code child}: {@code <root>/<child>-<run>}, with a
     * suffix if that exists; beneath {@code slot} when one is given ({@link #slot}).
     */
    public ChildCgroup create(String child, long run, Optional<Path> slot) throws IOException {
      return create(slot.orElse(null), child + "-" + run);
    }

    private ChildCgroup create(Path slot, String base) throws IOException {
      synchronized (LOCK) {
        Path parent = slot != null ? slot : root;
        if (slot != null && !Files.isDirectory(slot)) {
          throw new IOException("cgroup " + slot + " is gone");
        }
        mkdirCgroup(root);
        for (int i = 1; ; i++) {
          Path dir = parent.resolve(i == 1 ? base : base + "-" + i);
          try {
            Files.createDirectory(dir);
            return new ChildCgroup(kind, dir, this);
          } catch (FileAlreadyExistsException e) {
            if (i > 100) {
              throw e;
            }
          }
        }
      }
    }

    /**
     * A directory beneath the root kept for the JVM's lifetime, one per {@code key}, for children
     * spawned on a Landlock-restricted thread: their rules grant writing beneath it (and nowhere
     * else in the cgroup tree), and a rule holds the directory's inode, so it must never be
     * re-created. Removed, when empty, at JVM exit, or by the next supervisor's sweep.
     */
    public Path slot(Object key) throws IOException {
      synchronized (LOCK) {
        Path existing = slots.get(key);
        if (existing != null && Files.isDirectory(existing)) {
          return existing;
        }
        mkdirCgroup(root);
        Path dir = root.resolve("ll-" + (slots.size() + 1));
        for (int i = slots.size() + 1; Files.exists(dir); i++) {
          dir = root.resolve("ll-" + i);
        }
        Files.createDirectory(dir);
        if (slots.isEmpty()) {
          Runtime.getRuntime().addShutdownHook(new Thread(this::removeSlots, "supervisor-cgroup-cleanup"));
        }
        slots.put(key, dir);
        return dir;
      }
    }

    private void removeSlots() {
      for (Path s : slots.values()) {
        removeTree(s);
      }
      pruneRoot(root);
    }

    /** Removes empty cgroups left under {@code supervisor-<pid>} directories of processes that are gone. */
    private void sweepStale() {
      try (DirectoryStream<Path> d = Files.newDirectoryStream(own, "supervisor-*")) {
        for (Path r : d) {
          java.util.regex.Matcher m = ROOT_NAME.matcher(r.getFileName().toString());
          if (!m.matches() || !Files.isDirectory(r)) {
            continue;
          }
          long pid = Long.parseLong(m.group(1));
          if (pid == SELF || ProcessHandle.of(pid).isPresent()) {
            continue;
          }
          if (removeTree(r)) {
            log.info("removed the empty cgroups of a supervisor that is gone: {}", r);
          } else {
            log.info("cgroup {} of a supervisor that is gone still holds processes: left for its recovery", r);
          }
        }
      } catch (IOException e) {
        log.debug("cannot sweep {}: {}", own, e.toString());
      }
    }
  }

  private static void mkdirCgroup(Path dir) throws IOException {
    try {
      Files.createDirectory(dir);
    } catch (FileAlreadyExistsException e) {
      // made earlier
    }
  }

  /** Removes {@code dir} and its sub-cgroups bottom-up where no process is left; true if {@code dir} is gone. */
  static boolean removeTree(Path dir) {
    try (DirectoryStream<Path> d = Files.newDirectoryStream(dir, Files::isDirectory)) {
      for (Path sub : d) {
        removeTree(sub);
      }
    } catch (NoSuchFileException e) {
      return true;
    } catch (IOException e) {
      // try the directory itself anyway
    }
    try {
      Files.delete(dir); // rmdir(2); refused while processes or sub-cgroups remain
      return true;
    } catch (NoSuchFileException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Removes a {@code supervisor-<pid>} directory if it is empty (rmdir refuses otherwise). */
  static void pruneRoot(Path root) {
    if (root == null || root.getFileName() == null || !ROOT_NAME.matcher(root.getFileName().toString()).matches()) {
      return;
    }
    synchronized (LOCK) {
      try {
        Files.delete(root);
      } catch (IOException e) {
        // another child cgroup (or a slot) is still in it
      }
    }
  }
}
