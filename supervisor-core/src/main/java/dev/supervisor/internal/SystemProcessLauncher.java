package dev.supervisor.internal;

import dev.supervisor.Enforcement;
import dev.supervisor.ExitStatus;
import dev.supervisor.Permissions;
import dev.supervisor.Privileges;
import dev.supervisor.persist.ProcessSignature;
import dev.supervisor.spi.LaunchRequest;
import dev.supervisor.spi.LaunchedProcess;
import dev.supervisor.spi.ProcessLauncher;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real processes: {@code setpriv --pdeathsig KILL -- sh -c JOIN+CHECK cgroup.procs ppid [setsid] argv}
 * (with the wrappers of {@link PrivilegedCommand} for a child with privileges, spawned on a
 * Landlock-restricted thread when it has permissions) with stdin from {@code /dev/null} and
 * stdout+stderr appended to the log file. Two spawns: {@code posix_spawn} through the FFM API on
 * JDK 22+ ({@link NativeSpawns}: the new session is made by the spawn, so no {@code setsid} exec,
 * no {@code jspawnhelper}, exits reaped on one thread), else the JDK's {@link ProcessBuilder}
 * ({@code jspawnhelper}, the {@code setsid} command, a reaper thread per child).
 *
 * <p>Containment: each run gets a cgroup of its own where one can be made ({@link Cgroups}); the
 * command line holds a shell that writes its own pid into the cgroup's {@code cgroup.procs} and
 * execs the rest, so the child is in its cgroup before its program runs and before it can fork:
 * right after setpriv sets the parent-death signal, or first where setpriv drops root (writing
 * there needs it). {@link PrivilegedCommand} has the order and why.
 * Without a cgroup, the process group plus a {@code /proc} sweep of descendants is the fallback,
 * announced once at WARN with what it loses.
 */
public final class SystemProcessLauncher implements ProcessLauncher {
  private static final Logger log = LoggerFactory.getLogger(SystemProcessLauncher.class);
  /** The system property that forces a containment: {@code auto} (default), {@code process-group}, {@code cgroup-v2}... */
  public static final String CONTAINMENT_PROPERTY = "supervisor.containment";
  public static final SystemProcessLauncher INSTANCE = new SystemProcessLauncher(configuredMode());

  /** How a launcher spawns: as the process layer decides ({@link NativeSpawns}), or one way for a test or a tool. */
  public enum Spawn {
    /** {@code posix_spawn} where the JDK 22+ layer is active, else the JDK's {@link ProcessBuilder}. */
    AUTO,
    /** The JDK's {@link ProcessBuilder}: a reaper thread per child, {@code setsid} as a command. */
    JDK,
    /** {@code posix_spawn} through the FFM API; every launch fails with the reason where it cannot be had. */
    FFM
  }

  private final Cgroups.Mode mode;
  private final Spawn spawn;
  private final AtomicBoolean warned = new AtomicBoolean();
  private final java.util.Set<String> quitWarned = ConcurrentHashMap.newKeySet();

  private SystemProcessLauncher(Cgroups.Mode mode, Spawn spawn) {
    this.mode = mode;
    this.spawn = spawn;
  }

  private SystemProcessLauncher(Cgroups.Mode mode) {
    this(mode, Spawn.AUTO);
  }

  /** The default launcher with its spawn forced to one way ({@link Spawn#JDK} or {@link Spawn#FFM}), for tests and tools. */
  public static SystemProcessLauncher withSpawn(Spawn spawn) {
    return new SystemProcessLauncher(configuredMode(), spawn);
  }

  /** A launcher with both its containment and its spawn chosen, for tests and tools. */
  public static SystemProcessLauncher withSpawn(Spawn spawn, Cgroups.Mode mode) {
    return new SystemProcessLauncher(mode, spawn);
  }

  /** Whether this launcher spawns through {@code posix_spawn} (its {@link Spawn}, and for AUTO the process layer). */
  public boolean spawnsNatively() {
    return spawn == Spawn.FFM || (spawn == Spawn.AUTO && NativeSpawns.active());
  }

  /** A launcher with containment {@code mode} (a kind of cgroup, or none), for a test or a tool; announced once. */
  public static SystemProcessLauncher withContainment(Cgroups.Mode mode) {
    return new SystemProcessLauncher(mode);
  }

  private static Cgroups.Mode configuredMode() {
    String v = System.getProperty(CONTAINMENT_PROPERTY, "auto");
    try {
      return Cgroups.Mode.parse(v);
    } catch (IllegalArgumentException e) {
      LoggerFactory.getLogger(SystemProcessLauncher.class).warn("-D{}: {}; using auto", CONTAINMENT_PROPERTY, e.getMessage());
      return Cgroups.Mode.AUTO;
    }
  }

  /** The cgroup hierarchy this launcher's children go in; empty on the fallback (announced once at WARN). */
  Optional<Cgroups.Hierarchy> hierarchy() {
    Optional<Cgroups.Hierarchy> h = Cgroups.hierarchy(mode);
    if (h.isEmpty() && warned.compareAndSet(false, true)) {
      log.warn("containment: {}", containment());
    }
    return h;
  }

  /** What contains a child's descendants here, in a sentence (logged once; shown in the README's terms). */
  public String containment() {
    Optional<Cgroups.Hierarchy> h = Cgroups.hierarchy(mode);
    if (h.isPresent()) {
      return "a cgroup per child (" + h.get().describe() + ") under " + h.get().root();
    }
    return "no cgroup per child (" + Cgroups.whyNot(mode) + "): process group plus a /proc sweep of descendants instead; "
        + "a descendant that left the process group (setsid) is found only while its chain of parents to the child is "
        + "unbroken: one whose parent exited (a double fork), and any left by a child that exited by itself, is re-parented "
        + "to init and not found, so it can outlive its child";
  }

  /** Whether this launcher gives each child a cgroup. */
  public boolean usesCgroups() {
    return Cgroups.hierarchy(mode).isPresent();
  }

  /**
   * {@code ffm (posix_spawn, pidfd exits, kill(2))} (JDK 22+), {@code jdk (ProcessBuilder, kill command)} (JDK 17), or
   * {@code ffm (ProcessBuilder, kill(2))} when the FFM spawn cannot be had; see {@link NativeSignals}, {@link NativeSpawns}.
   */
  @Override
  public String layer() {
    if (!NativeSignals.active()) {
      return NativeSignals.refusal().isPresent() ? "none" : "jdk (ProcessBuilder, kill command)";
    }
    if (spawnsNatively()) {
      return "ffm (posix_spawn, pidfd exits, kill(2))";
    }
    return NativeSignals.forced() || spawn == Spawn.FFM ? "none" : "ffm (ProcessBuilder, kill(2))"; // forced and refusing: none
  }

  @Override
  public LaunchedProcess launch(LaunchRequest r) throws IOException {
    Optional<String> refused = NativeSpawns.refusal(); // a process layer forced by -Dsupervisor.processLayer that is not here
    if (refused.isEmpty() && spawn == Spawn.FFM && !NativeSpawns.active()) {
      refused = Optional.of("this launcher spawns through posix_spawn, which cannot be had here: "
          + NativeSpawns.whyNot().orElse("unknown"));
    }
    if (refused.isPresent()) {
      throw new IOException(refused.get());
    }
    boolean natively = spawnsNatively();
    if (!r.listenFds().isEmpty() && !natively) {
      throw new IOException(ListenSockets.needsNativeSpawn(r.spec().name(), NativeSpawns.whyNot().orElse("this launcher spawns"
          + " through the JDK")));
    }
    Path dir = r.spec().workingDirectory().orElse(null);
    Optional<String> problem = Executables.problem(r.argv().get(0), r.env(), dir);
    if (problem.isPresent()) {
      throw new IOException(problem.get());
    }
    Privileges priv = r.spec().privileges();
    if (!priv.isEmpty() && priv.enforcement() == Enforcement.STRICT) {
      List<PrivilegeSupport.Gap> gaps = PrivilegeSupport.gaps(priv);
      if (!gaps.isEmpty()) {
        throw new IOException("cannot enforce the privileges of child '" + r.spec().name() + "': " + gaps.get(0)
            + "; or set \"enforce\": \"best-effort\"");
      }
    }
    List<String> argv = ListenSockets.withListenPid(r.argv(), r.listenFds());
    List<String> inner = PrivilegedCommand.command(priv, r.parentDeathSignal(), argv, !natively);
    Optional<RestrictedSpawners.Profile> profile = landlockProfile(priv, inner, r, dir, Optional.empty());
    Optional<ChildCgroup> cgroup = Optional.empty();
    Optional<Cgroups.Hierarchy> h = hierarchy();
    if (h.isPresent()) {
      try {
        // a Landlock rule holds an inode: a restricted spawner may write only beneath its own long-lived slot
        Optional<Path> slot = profile.isPresent() && profile.get().restrictFs()
            ? Optional.of(h.get().slot(profile.get())) : Optional.empty();
        cgroup = Optional.of(h.get().create(r.spec().name(), r.runId(), slot));
        if (slot.isPresent()) {
          profile = landlockProfile(priv, inner, r, dir, slot);
        }
      } catch (IOException e) {
        log.warn("child '{}': cannot make its cgroup ({}); this run is contained by its process group only", r.spec().name(),
            e.getMessage());
      }
    }
    try {
      if (r.logFile().isPresent()) { // opened with O_APPEND by either spawn, with the umask's mode: made ours, 0600, first
        PrivateFiles.createDirectories(r.logFile().get().toAbsolutePath().getParent());
        PrivateFiles.createFile(r.logFile().get());
      }
      // the Landlock profile above needed the command before the cgroup existed; the join goes into the same chain
      List<String> command = cgroup.isEmpty() ? inner
          : PrivilegedCommand.command(priv, r.parentDeathSignal(), argv, !natively, Optional.of(cgroup.get().procs()), Cgroups.SELF);
      return natively ? spawnNatively(r, dir, command, profile, cgroup) : spawn(r, dir, command, profile, cgroup);
    } catch (IOException | RuntimeException e) {
      cgroup.ifPresent(ChildCgroup::remove);
      throw e;
    }
  }

  private LaunchedProcess spawn(LaunchRequest r, Path dir, List<String> command, Optional<RestrictedSpawners.Profile> profile,
      Optional<ChildCgroup> cgroup) throws IOException {
    if (r.spec().stopSignal() == dev.supervisor.StopSignal.QUIT && Runtime.version().feature() < 25
        && quitWarned.add(r.spec().name())) {
      log.warn("child '{}' stops on SIGQUIT, but the JDK's ProcessBuilder on JDK {} starts children with SIGQUIT blocked"
          + " (the JVM's thread-dump signal): it will end only by SIGKILL after its grace; run the supervisor on JDK 22+,"
          + " whose posix_spawn layer unblocks every signal, or stop it with another signal", r.spec().name(),
          Runtime.version().feature());
    }
    if (!command.get(0).contains("/")) {
      // the JDK would search the supervisor's PATH; the check above (and every wrapper's exec) uses the child's
      command = new ArrayList<>(command);
      command.set(0, Executables.resolve(command.get(0), r.env(), dir).map(Path::toString).orElse(command.get(0)));
    }
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().clear();
    pb.environment().putAll(r.env());
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    if (r.logFile().isPresent()) {
      pb.redirectErrorStream(true);
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(r.logFile().get().toFile()));
    } else {
      pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
      pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    }
    Process p;
    try {
      p = profile.isPresent() ? RestrictedSpawners.spawn(profile.get(), pb::start) : pb.start();
    } catch (IOException | RuntimeException e) {
      throw new IOException("cannot start " + r.argv() + ": " + e.getMessage(), e);
    }
    CompletableFuture<ExitStatus> exit = p.onExit().thenApply(x -> ExitStatus.fromExitValue(x.exitValue()));
    return new SystemProcess(p.pid(), exit, new Containment(p.pid(), p.toHandle(), cgroup));
  }

  /** The JDK 22+ spawn: {@code posix_spawn} (on the Landlock-restricted thread when the child has permissions). */
  private static LaunchedProcess spawnNatively(LaunchRequest r, Path dir, List<String> command,
      Optional<RestrictedSpawners.Profile> profile, Optional<ChildCgroup> cgroup) throws IOException {
    Path executable = Executables.resolve(command.get(0), r.env(), dir)
        .orElseThrow(() -> new IOException("cannot start " + r.argv() + ": " + command.get(0) + " is not an executable on the"
            + " child's PATH"));
    java.util.concurrent.Callable<NativeSpawns.Spawned> call = () -> NativeSpawns.get().spawn(executable, command, r.env(),
        Optional.ofNullable(dir), r.logFile(), r.listenFds());
    NativeSpawns.Spawned p;
    try {
      p = profile.isPresent() ? RestrictedSpawners.spawn(profile.get(), call) : call.call();
    } catch (IOException | RuntimeException e) {
      throw new IOException("cannot start " + r.argv() + ": " + e.getMessage(), e);
    } catch (Exception e) {
      throw new IOException("cannot start " + r.argv() + ": " + e, e);
    }
    return new SystemProcess(p.pid(), p.exit(), new Containment(p.pid(), p.handle(), cgroup));
  }

  @Override
  public List<String> unenforced(dev.supervisor.ChildSpec spec) {
    return spec.privileges().isEmpty() ? List.of()
        : PrivilegeSupport.gaps(spec.privileges()).stream().map(PrivilegeSupport.Gap::toString).toList();
  }

  /**
   * The Landlock profile of a child with permissions, when Landlock can enforce them here; with a
   * cgroup slot, also the join's shell and writing beneath the slot.
   */
  private static Optional<RestrictedSpawners.Profile> landlockProfile(Privileges priv, List<String> command, LaunchRequest r, Path dir,
      Optional<Path> slot) throws IOException {
    if (priv.permissions().isEmpty() || Landlock.unavailable().isPresent()) {
      return Optional.empty();
    }
    Permissions perm = priv.permissions().get();
    boolean denyNet = !perm.network() && Landlock.abi() >= 4;
    if (!perm.restrictsFilesystem() && !denyNet) {
      return Optional.empty();
    }
    Map<Path, Long> grants = new java.util.LinkedHashMap<>(PrivilegedCommand.runtimeGrants(command, r.env(), dir, r.logFile()));
    if (slot.isPresent()) {
      PrivilegedCommand.runtimeGrants(List.of(ProcessGroups.tool("sh").orElseThrow()), r.env(), dir, Optional.empty())
          .forEach((p, a) -> grants.merge(p, a, (x, y) -> x | y));
      grants.merge(slot.get(), Landlock.WRITE_FILE | Landlock.TRUNCATE, (x, y) -> x | y);
    }
    List<Landlock.Rule> rules = PrivilegedCommand.rules(perm, grants);
    return Optional.of(new RestrictedSpawners.Profile(false, perm.restrictsFilesystem(), denyNet, rules));
  }

  @Override
  public String toString() {
    return mode == Cgroups.Mode.AUTO ? "ProcessLauncher.system()" : "ProcessLauncher.system(containment " + mode + ")";
  }

  /**
   * What holds a child's processes and how they are signalled: its process group always, and its
   * cgroup when it has one; without one, the descendants found by their parent chain, remembered
   * once seen so they can be killed after their parent has gone.
   */
  static final class Containment {
    /** How long a /proc scan of the fallback is reused (stopping many children at once). */
    private static final long SCAN_REUSE_MILLIS = 50;
    private final long pgid;
    private final ProcessHandle leader;
    private final Optional<ChildCgroup> cgroup;
    private final Map<Long, ProcessHandle> swept = new ConcurrentHashMap<>();
    private final AtomicBoolean released = new AtomicBoolean();

    Containment(long pgid, ProcessHandle leader, Optional<ChildCgroup> cgroup) {
      this.pgid = pgid;
      this.leader = leader;
      this.cgroup = cgroup;
    }

    /** The signal to the group, and to whatever left it: processes of the cgroup, or swept descendants. */
    void signal(String signal) {
      List<Long> outside = outsideGroup();
      ProcessGroups.signalGroup(pgid, signal, leader);
      if (cgroup.isPresent() && signal.equals("KILL")) {
        cgroup.get().killAsync();
      } else if (cgroup.isPresent()) {
        cgroup.get().signalOutsideGroup(signal, pgid);
      } else {
        ProcessGroups.signalPids(outside, signal);
      }
    }

    void killAndWait() {
      List<Long> outside = outsideGroup();
      ProcessGroups.signalGroupAndWait(pgid, "KILL", leader);
      ProcessGroups.signalPids(outside, "KILL");
      release();
    }

    /** Without a cgroup: descendants outside the group, found now (while their parents live) and remembered. */
    private List<Long> outsideGroup() {
      if (cgroup.isPresent()) {
        return List.of();
      }
      for (long pid : ProcessGroups.groupAndDescendants(pgid, SCAN_REUSE_MILLIS)) {
        ProcStat.read(pid).filter(st -> st.pgrp() != pgid && pid != pgid)
            .flatMap(st -> ProcessHandle.of(pid)).ifPresent(h -> swept.putIfAbsent(pid, h));
      }
      swept.values().removeIf(h -> !h.isAlive());
      return new ArrayList<>(swept.keySet());
    }

    List<Long> members() {
      if (cgroup.isPresent()) {
        return cgroup.get().pids();
      }
      if (!ProcessGroups.groupsSupported()) {
        return List.of();
      }
      java.util.Set<Long> all = new java.util.LinkedHashSet<>(ProcessGroups.groupAndDescendants(pgid, 0));
      if (!leader.isAlive()) {
        all.remove(pgid);
      }
      swept.values().removeIf(h -> !h.isAlive() || ProcStat.read(h.pid()).map(st -> st.state() == 'Z').orElse(true));
      all.addAll(swept.keySet());
      return new ArrayList<>(all);
    }

    /** Once the run is over: kills what is left, waits (up to 2 s) until it has gone, removes the cgroup. Blocks. */
    void release() {
      if (!released.compareAndSet(false, true)) {
        return;
      }
      if (cgroup.isPresent()) {
        ChildCgroup g = cgroup.get();
        if (!g.isEmpty()) {
          g.kill();
        }
        if (!g.awaitEmpty(Duration.ofSeconds(2))) {
          log.warn("cgroup {} still holds processes {} 2 s after SIGKILL", g, g.pids());
        }
        g.remove();
      } else {
        List<Long> left = new ArrayList<>(swept.keySet());
        ProcessGroups.signalPids(left, "KILL");
      }
    }
  }

  /** A spawned child process, by either spawn. */
  static final class SystemProcess implements LaunchedProcess {
    private final long pid;
    private final CompletableFuture<ExitStatus> exit;
    private final Optional<ProcessSignature> signature;
    private final Containment containment;

    SystemProcess(long pid, CompletableFuture<ExitStatus> exit, Containment containment) {
      this.pid = pid;
      this.exit = exit;
      this.containment = containment;
      this.signature = ProcessSignature.of(pid);
    }

    @Override
    public long pid() {
      return pid;
    }

    @Override
    public CompletableFuture<Integer> onExit() {
      return exit.thenApply(NativeSpawns::exitValue);
    }

    @Override
    public CompletableFuture<ExitStatus> onExitStatus() {
      return exit.copy();
    }

    @Override
    public void signalGroup(String signal) {
      containment.signal(signal);
    }

    @Override
    public void killGroupAndWait() {
      containment.killAndWait();
    }

    @Override
    public List<Long> groupMembers() {
      return containment.members();
    }

    @Override
    public Optional<ProcessSignature> signature() {
      return signature;
    }

    @Override
    public Optional<Path> cgroup() {
      return containment.cgroup.map(ChildCgroup::dir);
    }

    @Override
    public void release() {
      containment.release();
    }
  }

  /** What an adopted process's exit future fails with once it has gone. */
  static final String ADOPTED_EXIT = "it was adopted from the previous supervisor, so its exit status cannot be read";

  /**
   * A live process a previous supervisor started, taken over (crash with ADOPT, or hand-over):
   * empty if it is gone or its pid now names another process. Not our child, so its exit cannot be
   * waited for: it is seen through a pidfd on JDK 22+, else polled every 200 ms ({@link AdoptedExits}).
   */
  @Override
  public Optional<LaunchedProcess> adopt(ProcessSignature process, Optional<String> cgroup) {
    Optional<ProcessHandle> h = ProcessHandle.of(process.pid());
    if (h.isEmpty() || !process.isAlive()) {
      return Optional.empty();
    }
    return Optional.of(adopted(h.get(), process, cgroup));
  }

  private static LaunchedProcess adopted(ProcessHandle handle, ProcessSignature signature, Optional<String> cgroup) {
    Containment c = new Containment(handle.pid(), handle, cgroup.flatMap(Cgroups::saved));
    CompletableFuture<Integer> exit = new CompletableFuture<>();
    ExitWatch.Watch watch = AdoptedExits.watch(signature, () -> exit.completeExceptionally(new IllegalStateException(ADOPTED_EXIT)));
    java.time.Instant started = handle.info().startInstant().orElse(null);
    return new LaunchedProcess() {
      @Override public long pid() { return handle.pid(); }
      @Override public CompletableFuture<Integer> onExit() { return exit.copy(); }
      @Override public void signalGroup(String signal) { c.signal(signal); }
      @Override public void killGroupAndWait() { c.killAndWait(); }
      @Override public List<Long> groupMembers() { return c.members(); }
      @Override public Optional<ProcessSignature> signature() { return Optional.of(signature); }
      @Override public Optional<Path> cgroup() { return c.cgroup.map(ChildCgroup::dir); }
      @Override public Optional<java.time.Instant> startedAt() { return Optional.ofNullable(started); }
      @Override public void stopWatching() { watch.cancel(); }
      @Override public void release() {
        watch.cancel();
        c.release();
      }
    };
  }
}
