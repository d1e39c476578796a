package dev.supervisor.internal;

import dev.supervisor.Enforcement;
import dev.supervisor.Permissions;
import dev.supervisor.Privileges;
import dev.supervisor.persist.ProcessSignature;
import dev.supervisor.spi.LaunchRequest;
import dev.supervisor.spi.LaunchedProcess;
import dev.supervisor.spi.ProcessLauncher;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Real processes: {@code [setpriv --pdeathsig KILL --] setsid argv} (with the wrappers of
 * {@link PrivilegedCommand} for a child with privileges, spawned on a Landlock-restricted thread
 * when it has permissions) with stdin from
 * {@code /dev/null} and stdout+stderr appended to the log file by the child itself.
 */
public final class SystemProcessLauncher implements ProcessLauncher {
  public static final SystemProcessLauncher INSTANCE = new SystemProcessLauncher();

  private SystemProcessLauncher() {}

  @Override
  public LaunchedProcess launch(LaunchRequest r) throws IOException {
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
    List<String> command = PrivilegedCommand.command(priv, r.parentDeathSignal(), r.argv());
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().clear();
    pb.environment().putAll(r.env());
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    if (r.logFile().isPresent()) {
      // The child opens the file itself (O_APPEND, with the umask's mode): make it ours, 0600, first.
      PrivateFiles.createDirectories(r.logFile().get().toAbsolutePath().getParent());
      PrivateFiles.createFile(r.logFile().get());
      pb.redirectErrorStream(true);
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(r.logFile().get().toFile()));
    } else {
      pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
      pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    }
    Optional<RestrictedSpawners.Profile> profile = landlockProfile(priv, command, r, dir);
    Process p;
    try {
      p = profile.isPresent() ? RestrictedSpawners.spawn(profile.get(), pb::start) : pb.start();
    } catch (IOException | RuntimeException e) {
      throw new IOException("cannot start " + r.argv() + ": " + e.getMessage(), e);
    }
    return new SystemProcess(p);
  }

  @Override
  public List<String> unenforced(dev.supervisor.ChildSpec spec) {
    return spec.privileges().isEmpty() ? List.of()
        : PrivilegeSupport.gaps(spec.privileges()).stream().map(PrivilegeSupport.Gap::toString).toList();
  }

  /** The Landlock profile of a child with permissions, when Landlock can enforce them here. */
  private static Optional<RestrictedSpawners.Profile> landlockProfile(Privileges priv, List<String> command, LaunchRequest r, Path dir)
      throws IOException {
    if (priv.permissions().isEmpty() || Landlock.unavailable().isPresent()) {
      return Optional.empty();
    }
    Permissions perm = priv.permissions().get();
    boolean denyNet = !perm.network() && Landlock.abi() >= 4;
    if (!perm.restrictsFilesystem() && !denyNet) {
      return Optional.empty();
    }
    List<Landlock.Rule> rules = PrivilegedCommand.rules(perm, PrivilegedCommand.runtimeGrants(command, r.env(), dir, r.logFile()));
    return Optional.of(new RestrictedSpawners.Profile(false, perm.restrictsFilesystem(), denyNet, rules));
  }

  @Override
  public String toString() {
    return "ProcessLauncher.system()";
  }

  /** A spawned child process. */
  static final class SystemProcess implements LaunchedProcess {
    private final Process process;
    private final ProcessHandle handle;
    private final Optional<ProcessSignature> signature;

    SystemProcess(Process process) {
      this.process = process;
      this.handle = process.toHandle();
      this.signature = ProcessSignature.of(process.pid());
    }

    @Override
    public long pid() {
      return process.pid();
    }

    @Override
    public CompletableFuture<Integer> onExit() {
      return process.onExit().thenApply(Process::exitValue);
    }

    @Override
    public void signalGroup(String signal) {
      ProcessGroups.signalGroup(process.pid(), signal, handle);
    }

    @Override
    public void killGroupAndWait() {
      ProcessGroups.signalGroupAndWait(process.pid(), "KILL", handle);
    }

    @Override
    public List<Long> groupMembers() {
      return ProcessGroups.groupsSupported() ? ProcessGroups.members(process.pid()) : List.of();
    }

    @Override
    public Optional<ProcessSignature> signature() {
      return signature;
    }
  }

  /** A live orphan of a crashed supervisor, taken over: not our child, so its exit is polled, not awaited. */
  public static LaunchedProcess adopted(ProcessHandle handle, ProcessSignature signature) {
    return new LaunchedProcess() {
      @Override public long pid() { return handle.pid(); }
      @Override public CompletableFuture<Integer> onExit() { return new CompletableFuture<>(); } // polled instead
      @Override public void signalGroup(String signal) { ProcessGroups.signalGroup(handle.pid(), signal, handle); }
      @Override public void killGroupAndWait() { ProcessGroups.signalGroupAndWait(handle.pid(), "KILL", handle); }
      @Override public List<Long> groupMembers() {
        return ProcessGroups.groupsSupported() ? ProcessGroups.members(handle.pid()) : List.of();
      }
      @Override public Optional<ProcessSignature> signature() { return Optional.of(signature); }
    };
  }
}
