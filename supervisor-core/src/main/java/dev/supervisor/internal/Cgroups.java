package dev.supervisor.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
import java.util.concurrent.locks.LockSupport;
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
   * The join for a child that gets a parent-death signal, which setpriv sets only after the join
   * (a move waits for an RCU grace period, milliseconds): if the supervisor died meanwhile, the
   * child would run on as an orphan nobody knows of, so it checks that its parent is still the
   * supervisor ({@code $1}) after the join, from {@code /proc} (sh's {@code $PPID} is fixed at its
   * start), and exits if not.
   */
  static final String JOIN_SCRIPT_PARENT_CHECKED = "echo $$ > \"$0\" || exit; read -r _ _ _ p _ < /proc/$$/stat; "
      + "[ \"$p\" = \"$1\" ] || exit 1; shift; exec \"$@\"";
  private static final Pattern ROOT_NAME = Pattern.compile("supervisor-(\\d+)");
  private static final Pattern SLOT_NAME = Pattern.compile("ll-\\d+");
  private static final long SELF = ProcessHandle.current().pid();
  private static final Object LOCK = new Object();
  /** Freezer kills and pid loops can block: they run here, off the supervisor's event loop. */
  private static final ExecutorService KILLER = Executors.newCachedThreadPool(Threads.named("supervisor-cgroup-kill", true));

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
    List<Mount> mounts;
    Map<String, String> own;
    try {
      mounts = mounts(Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8));
      own = ownCgroups(Files.readAllLines(Path.of("/proc/self/cgroup"), StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      why.add("cannot read /proc/self/mountinfo or /proc/self/cgroup: " + e.getMessage());
      return Optional.empty();
    }
    List<Candidate> candidates = new ArrayList<>();
    Optional<Candidate> v2 = candidate(mounts, own, "cgroup2", "", why);
    Optional<Candidate> freezer = candidate(mounts, own, "cgroup", "freezer", why);
    Optional<Candidate> pids = candidate(mounts, own, "cgroup", "pids", why);
    switch (mode) {
      case V2 -> v2.ifPresent(candidates::add);
      case V1_FREEZER -> freezer.ifPresent(candidates::add);
      case V1_PIDS -> pids.ifPresent(candidates::add);
      default -> {
        // cgroup.kill or cgroup.freeze first, then the v1 freezer, then v2 without either, then v1 pids
        v2.filter(c -> c.kind != Kind.V2_PLAIN).ifPresent(candidates::add);
        freezer.ifPresent(candidates::add);
        v2.filter(c -> c.kind == Kind.V2_PLAIN).ifPresent(candidates::add);
        pids.ifPresent(candidates::add);
      }
    }
    if (candidates.isEmpty() && why.isEmpty()) {
      why.add("no " + (mode == Mode.AUTO ? "cgroup2, freezer or pids" : mode.key) + " hierarchy mounted");
    }
    for (Candidate c : candidates) {
      Hierarchy h = new Hierarchy(c.kind, c.mount, c.own, c.favorDynMods);
      Optional<String> problem = h.probe();
      if (problem.isEmpty()) {
        h.sweepStale();
        return Optional.of(h);
      }
      why.add(c.kind.text + " at " + c.own + ": " + problem.get());
    }
    return Optional.empty();
  }

  record Mount(Path point, String root, String fstype, List<String> superOptions) {}

  private record Candidate(Kind kind, Path mount, Path own, boolean favorDynMods) {}

  /** The cgroup mounts of {@code /proc/self/mountinfo}. */
  static List<Mount> mounts(List<String> mountinfo) {
    List<Mount> out = new ArrayList<>();
    for (String line : mountinfo) {
      int sep = line.indexOf(" - ");
      if (sep < 0) {
        continue;
      }
      String[] left = line.substring(0, sep).split(" ");
      String[] right = line.substring(sep + 3).split(" ");
      if (left.length < 5 || right.length < 3 || !(right[0].equals("cgroup2") || right[0].equals("cgroup"))) {
        continue;
      }
      out.add(new Mount(Path.of(unescape(left[4])), unescape(left[3]), right[0], List.of(right[2].split(","))));
    }
    return out;
  }

  /** {@code "0::/a/b"} as {@code "" -> "/a/b"}, {@code "6:freezer:/x"} as {@code "freezer" -> "/x"}. */
  static Map<String, String> ownCgroups(List<String> lines) {
    Map<String, String> out = new java.util.HashMap<>();
    for (String line : lines) {
      String[] f = line.split(":", 3);
      if (f.length < 3) {
        continue;
      }
      if (f[0].equals("0") && f[1].isEmpty()) {
        out.put("", f[2]);
      } else {
        for (String c : f[1].split(",")) {
          out.put(c, f[2]);
        }
      }
    }
    return out;
  }

  private static Optional<Candidate> candidate(List<Mount> mounts, Map<String, String> own, String fstype, String controller,
      List<String> why) {
    String path = own.get(controller);
    if (path == null) {
      return Optional.empty();
    }
    for (Mount m : mounts) {
      if (!m.fstype.equals(fstype) || (!controller.isEmpty() && !m.superOptions.contains(controller))) {
        continue;
      }
      if (!(path.equals(m.root) || m.root.equals("/") || path.startsWith(m.root + "/"))) {
        why.add(fstype + (controller.isEmpty() ? "" : " " + controller) + ": own cgroup " + path + " is outside the mount of " + m.root);
        continue;
      }
      String rel = m.root.equals("/") ? path : path.substring(m.root.length());
      Path dir = m.point.resolve(rel.replaceFirst("^/+", "")).normalize();
      if (!dir.startsWith(m.point) || !Files.isRegularFile(dir.resolve("cgroup.procs"))) {
        why.add(fstype + (controller.isEmpty() ? "" : " " + controller) + ": own cgroup directory " + dir + " not found");
        continue;
      }
      Kind kind;
      if (fstype.equals("cgroup2")) {
        // a guess for the order of preference (the root cgroup has neither file): the probe looks in a child
        kind = Files.exists(dir.resolve("cgroup.kill")) || kernelAtLeast(5, 14) ? Kind.V2_KILL
            : Files.exists(dir.resolve("cgroup.freeze")) || kernelAtLeast(5, 2) ? Kind.V2_FREEZE : Kind.V2_PLAIN;
      } else {
        kind = controller.equals("freezer") ? Kind.V1_FREEZER : Kind.V1_PIDS;
      }
      return Optional.of(new Candidate(kind, m.point, dir, m.superOptions.contains("favordynmods")));
    }
    return Optional.empty();
  }

  private static boolean kernelAtLeast(int major, int minor) {
    try {
      String[] v = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim().split("[.-]");
      int ma = Integer.parseInt(v[0]);
      int mi = Integer.parseInt(v[1]);
      return ma > major || (ma == major && mi >= minor);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** mountinfo escapes space, tab, newline and backslash as octal. */
  private static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
        sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /**
   * The cgroup a saved state names, when it is one of a supervisor's child cgroups
   * ({@code .../supervisor-<pid>/<child>} on a cgroup mount) and still exists: recovery kills what
   * is left in it. Anything else is refused, so a damaged state file cannot aim the kill elsewhere.
   */
  public static Optional<Group> saved(String path) {
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
      for (Mount m : mounts(Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8))) {
        if (p.startsWith(m.point) && !p.equals(m.point)) {
          Kind kind = m.fstype.equals("cgroup2") ? (Files.exists(p.resolve("cgroup.kill")) ? Kind.V2_KILL
              : Files.exists(p.resolve("cgroup.freeze")) ? Kind.V2_FREEZE : Kind.V2_PLAIN)
              : m.superOptions.contains("freezer") ? Kind.V1_FREEZER : m.superOptions.contains("pids") ? Kind.V1_PIDS : null;
          if (kind != null) {
            return Optional.of(new Group(kind, p, null));
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
    Group.collect(dir, out);
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
      Group g;
      try {
        g = create(null, "probe-" + probes.incrementAndGet());
      } catch (IOException e) {
        pruneRoot(root);
        return Optional.of("cannot make a cgroup: " + e.getMessage());
      }
      if (kind.v2()) {
        kind = Files.exists(g.dir.resolve("cgroup.kill")) ? Kind.V2_KILL
            : Files.exists(g.dir.resolve("cgroup.freeze")) ? Kind.V2_FREEZE : Kind.V2_PLAIN;
        g = new Group(kind, g.dir, this);
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
    public Group create(String child, long run, Optional<Path> slot) throws IOException {
      return create(slot.orElse(null), child + "-" + run);
    }

    private Group create(Path slot, String base) throws IOException {
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
            return new Group(kind, dir, this);
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
  private static void pruneRoot(Path root) {
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

  /** One child run's cgroup. Threadsafe. */
  public static final class Group {
    private final Kind kind;
    private final Path dir;
    private final Hierarchy hierarchy;

    Group(Kind kind, Path dir, Hierarchy hierarchy) {
      this.kind = kind;
      this.dir = dir;
      this.hierarchy = hierarchy;
    }

    public Path dir() {
      return dir;
    }

    /** The file a process writes its pid into to join. */
    public Path procs() {
      return dir.resolve("cgroup.procs");
    }

    /** The processes in it (and in any cgroup beneath it), zombies excluded; empty once it is gone. */
    public List<Long> pids() {
      List<Long> out = new ArrayList<>();
      collect(dir, out);
      return out;
    }

    private static void collect(Path d, List<Long> out) {
      try {
        for (String line : Files.readAllLines(d.resolve("cgroup.procs"), StandardCharsets.US_ASCII)) {
          if (!line.isBlank()) {
            out.add(Long.parseLong(line.trim()));
          }
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(d, Files::isDirectory)) {
          for (Path sub : s) {
            collect(sub, out);
          }
        }
      } catch (IOException | RuntimeException e) {
        // gone meanwhile
      }
    }

    /** How many processes are in it: one read of {@code cgroup.procs} (sub-cgroups included). */
    public int count() {
      return pids().size();
    }

    /** Whether no process is left in it (v2: {@code populated 0} in {@code cgroup.events}, which counts sub-cgroups). */
    public boolean isEmpty() {
      if (kind.v2()) {
        try {
          for (String line : Files.readAllLines(dir.resolve("cgroup.events"), StandardCharsets.US_ASCII)) {
            if (line.startsWith("populated ")) {
              return line.endsWith(" 0");
            }
          }
        } catch (NoSuchFileException e) {
          return true;
        } catch (IOException e) {
          // fall back to the list
        }
      }
      return !Files.isDirectory(dir) || pids().isEmpty();
    }

    /**
     * Sends {@code signal} to its processes outside process group {@code pgid} (the group itself
     * is signalled by the caller): they left the group, so a group signal misses them. Returns
     * their pids.
     */
    public List<Long> signalOutsideGroup(String signal, long pgid) {
      List<Long> outside = new ArrayList<>();
      for (long pid : pids()) {
        ProcStat.read(pid).filter(st -> st.pgrp() != pgid && st.state() != 'Z').ifPresent(st -> outside.add(pid));
      }
      ProcessGroups.signalPids(outside, signal);
      return outside;
    }

    /** SIGKILL to everything in it; returns at once (a freeze, where one is needed, happens on a helper thread). */
    public void killAsync() {
      if (kind == Kind.V2_KILL) {
        kill();
      } else {
        KILLER.execute(this::kill);
      }
    }

    /** SIGKILL to everything in it, blocking for a freeze where the kind needs one. */
    public void kill() {
      try {
        switch (kind) {
          case V2_KILL -> write("cgroup.kill", "1");
          case V2_FREEZE -> freezeKillThaw("cgroup.freeze", "1", "0");
          case V1_FREEZER -> freezeKillThaw("freezer.state", "FROZEN", "THAWED");
          default -> {
            if (kind == Kind.V1_PIDS) {
              try {
                write("pids.max", "0"); // no fork can outrun the loop below
              } catch (IOException e) {
                log.debug("cannot cap {}: {}", dir, e.toString());
              }
            }
            for (int round = 0; round < 50; round++) {
              List<Long> left = pids();
              if (left.isEmpty()) {
                break;
              }
              ProcessGroups.signalPids(left, "KILL");
              LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            }
          }
        }
      } catch (NoSuchFileException e) {
        // already removed: nothing left to kill
      } catch (IOException e) {
        log.warn("cannot kill the processes in cgroup {}: {}; killing them one by one", dir, e.getMessage());
        ProcessGroups.signalPids(pids(), "KILL");
      }
    }

    private void freezeKillThaw(String file, String freeze, String thaw) throws IOException {
      write(file, freeze);
      try {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        while (!frozen(file) && System.nanoTime() < deadline) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        // a frozen process cannot fork: one pass gets them all (a pending SIGKILL acts at the thaw)
        ProcessGroups.signalPids(pids(), "KILL");
      } finally {
        write(file, thaw);
      }
    }

    private boolean frozen(String file) {
      try {
        if (kind == Kind.V1_FREEZER) {
          return Files.readString(dir.resolve(file)).trim().equals("FROZEN");
        }
        return Files.readAllLines(dir.resolve("cgroup.events")).contains("frozen 1");
      } catch (IOException e) {
        return true;
      }
    }

    private void write(String file, String value) throws IOException {
      Files.write(dir.resolve(file), value.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
    }

    /** Waits until no process is left in it; true if that happened within {@code timeout}. */
    public boolean awaitEmpty(Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!isEmpty()) {
        if (System.nanoTime() >= deadline) {
          return false;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
      }
      return true;
    }

    /**
     * Removes the cgroup directory (and the per-JVM directory above it when that is left empty);
     * true if it is gone. Retries briefly: the kernel may report it busy for a moment after its
     * last process exited.
     */
    public boolean remove() {
      for (int i = 0; i < 50; i++) {
        if (removeTree(dir)) {
          Path parent = dir.getParent();
          if (parent != null && SLOT_NAME.matcher(parent.getFileName().toString()).matches()) {
            Path root = parent.getParent();
            if (hierarchy != null || root == null || root.getFileName().toString().equals("supervisor-" + SELF)) {
              return true; // a slot of this JVM stays while its spawner thread lives
            }
            removeTree(parent); // a slot of a supervisor that is gone
            parent = root;
          }
          pruneRoot(parent);
          return true;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
      }
      log.warn("cannot remove cgroup {}: processes {} are still in it", dir, pids());
      return false;
    }

    @Override
    public String toString() {
      return dir.toString();
    }
  }
}
