package dev.supervisor.internal;

import dev.supervisor.Permissions;
import dev.supervisor.Privileges;
import dev.supervisor.ResourceLimit;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The command line that applies a child's {@link Privileges} before its own program runs, and the
 * Landlock rules its spawner thread takes on:
 * {@code setpriv --pdeathsig KILL [--no-new-privs] -- sh -c JOIN+CHECK cgroup.procs ppid [prlimit --nofile=N:N ... --]
 * [unshare --net --] [setsid] [sh -c 'umask 0027 && exec "$0" "$@"'] argv}, or, where setpriv changes the user, group or
 * capabilities, {@code [sh -c JOIN cgroup.procs] [prlimit ...] [unshare ...] setpriv --pdeathsig KILL --reuid U ... --
 * sh -c CHECK ppid [setsid] [sh -c umask...] argv}. Each wrapper is there only when needed (without a cgroup, the
 * shell after setpriv only checks); a child without privileges runs
 * {@code setpriv --pdeathsig KILL -- sh -c JOIN+CHECK cgroup.procs ppid [setsid] argv}.
 *
 * <p>The parent check comes after the {@code prctl(PR_SET_PDEATHSIG)} of setpriv, never before:
 * a supervisor that dies before the prctl sends no signal, so a check made earlier leaves a window
 * in which the child outlives a SIGKILLed supervisor unrecorded and the next supervisor starts a
 * second instance beside it. After the prctl, either the shell sees its parent is still the
 * supervisor (and any later death signals it) or it sees another parent and exits. The cgroup join
 * rides in the same shell, before prlimit (a shell's redirection needs descriptors above 10,
 * which a low {@code nofile} denies), unless setpriv changes credentials (the join needs the
 * supervisor's): then the join goes first and the check is a shell of its own after setpriv, the
 * last one, whose uid change would clear a parent-death signal set earlier.
 */
public final class PrivilegedCommand {
  /** Directories of the dynamic loader's libraries, granted read when they exist. */
  static final List<Path> LIBRARY_DIRS = List.of(Path.of("/lib"), Path.of("/lib64"), Path.of("/usr/lib"),
      Path.of("/usr/lib64"), Path.of("/usr/local/lib"));

  private PrivilegedCommand() {}

  /**
   * The shell that ends the chain when the supervisor died before setpriv's {@code prctl}: run as
   * {@code sh -c CHECK <supervisor pid> command...}. {@code $PPID} is read at the shell's start,
   * which is after the prctl.
   */
  static final String PARENT_CHECK_SCRIPT = "[ \"$PPID\" = \"$0\" ] || exit 1; exec \"$@\"";

  /** The full command: wrappers, then {@code argv}, as the JDK's spawn runs it (with {@code setsid}). */
  public static List<String> command(Privileges p, boolean parentDeathSignal, List<String> argv) {
    return command(p, parentDeathSignal, argv, true);
  }

  /**
   * The full command: wrappers, then {@code argv}, without a cgroup join.
   *
   * @param setsid whether the command makes its own session ({@code setsid}); false where the
   *     spawn does ({@code posix_spawn} with {@code POSIX_SPAWN_SETSID})
   */
  public static List<String> command(Privileges p, boolean parentDeathSignal, List<String> argv, boolean setsid) {
    return command(p, parentDeathSignal, argv, setsid, Optional.empty(), Cgroups.SELF);
  }

  /**
   * The full command: wrappers, then {@code argv}.
   *
   * @param join the {@code cgroup.procs} the child writes its pid into before its program runs
   * @param supervisorPid the parent the child must still have once its parent-death signal is set
   */
  static List<String> command(Privileges p, boolean parentDeathSignal, List<String> argv, boolean setsid, Optional<Path> join,
      long supervisorPid) {
    List<String> cmd = new ArrayList<>();
    Optional<String> sh = ProcessGroups.tool("sh");
    List<String> setprivOptions = setprivOptions(p, parentDeathSignal);
    Optional<String> setpriv = setprivOptions.isEmpty() ? Optional.empty() : ProcessGroups.tool("setpriv");
    boolean checked = parentDeathSignal && setpriv.isPresent() && sh.isPresent();
    // first, so the join's shell runs before prlimit's limits (dash cannot redirect under nofile <= 11)
    boolean setprivFirst = checked && !changesCredentials(p);
    if (setprivFirst) {
      addSetpriv(cmd, setpriv.get(), setprivOptions, sh.get(), join, supervisorPid);
    } else if (join.isPresent()) {
      cmd.addAll(List.of(sh.orElseThrow(() -> new IllegalStateException("no sh in /usr/bin or /bin to join a cgroup")), "-c",
          Cgroups.JOIN_SCRIPT, join.get().toString()));
    }
    if (!p.limits().isEmpty()) {
      ProcessGroups.tool("prlimit").ifPresent(prlimit -> {
        cmd.add(prlimit);
        for (Map.Entry<ResourceLimit, Long> e : p.limits().entrySet()) {
          cmd.add("--" + e.getKey().key() + "=" + e.getValue() + ":" + e.getValue());
        }
        cmd.add("--");
      });
    }
    if (p.permissions().map(perm -> !perm.network()).orElse(false) && PrivilegeSupport.canUnshareNet()) {
      cmd.add(ProcessGroups.tool("unshare").get());
      cmd.add("--net");
      cmd.add("--");
    }
    if (checked && !setprivFirst) {
      addSetpriv(cmd, setpriv.get(), setprivOptions, sh.get(), Optional.empty(), supervisorPid); // after the join: it drops root
    } else if (!checked && setpriv.isPresent()) {
      cmd.add(setpriv.get());
      cmd.addAll(setprivOptions);
      cmd.add("--");
    } else if (!checked && parentDeathSignal) {
      cmd.addAll(ProcessGroups.parentDeathPrefix()); // logs the WARN once
    }
    if (setsid) {
      cmd.addAll(ProcessGroups.groupLeaderPrefix());
    }
    if (p.umask().isPresent() && ProcessGroups.tool("sh").isPresent()) {
      cmd.add(ProcessGroups.tool("sh").get());
      cmd.add("-c");
      cmd.add("umask " + Privileges.octal(p.umask().getAsInt()) + " && exec \"$0\" \"$@\"");
    }
    cmd.addAll(argv);
    return cmd;
  }

  /** setpriv with the parent-death signal, then the shell that checks the parent (and joins the cgroup, if given). */
  private static void addSetpriv(List<String> cmd, String setpriv, List<String> options, String sh, Optional<Path> join,
      long supervisorPid) {
    cmd.add(setpriv);
    cmd.addAll(options);
    cmd.add("--");
    if (join.isPresent()) {
      cmd.addAll(List.of(sh, "-c", Cgroups.JOIN_SCRIPT_PARENT_CHECKED, join.get().toString(), Long.toString(supervisorPid)));
    } else {
      cmd.addAll(List.of(sh, "-c", PARENT_CHECK_SCRIPT, Long.toString(supervisorPid)));
    }
  }

  /** Whether setpriv changes the child's user, group or capabilities: then it can no longer join a cgroup itself. */
  private static boolean changesCredentials(Privileges p) {
    return p.user().isPresent() || p.group().isPresent() || p.capabilities().isPresent();
  }

  private static List<String> setprivOptions(Privileges p, boolean parentDeathSignal) {
    List<String> o = new ArrayList<>();
    if (parentDeathSignal) {
      o.addAll(List.of("--pdeathsig", "KILL"));
    }
    if (p.user().isPresent()) {
      String u = p.user().get();
      Optional<PrivilegeSupport.Entry> entry = PrivilegeSupport.user(u);
      o.add("--reuid=" + entry.map(e -> Long.toString(e.id())).orElse(u));
      String gid = p.group().map(g -> PrivilegeSupport.group(g).map(e -> Long.toString(e.id())).orElse(g))
          .orElseGet(() -> entry.map(e -> Long.toString(e.primaryGid())).orElse(u));
      o.add("--regid=" + gid);
      if (entry.isPresent()) {
        o.add("--init-groups");
      } else {
        o.add("--clear-groups");
      }
    } else if (p.group().isPresent()) {
      String g = p.group().get();
      o.add("--regid=" + PrivilegeSupport.group(g).map(e -> Long.toString(e.id())).orElse(g));
      o.add("--clear-groups");
    }
    if (p.capabilities().isPresent()) {
      StringBuilder caps = new StringBuilder("-all");
      for (String c : p.capabilities().get()) {
        caps.append(",+").append(c.toLowerCase(Locale.ROOT));
      }
      o.add("--inh-caps=" + caps);
      o.add("--ambient-caps=" + caps);
      o.add("--bounding-set=" + caps);
    }
    if (p.noNewPrivileges()) {
      o.add("--no-new-privs");
    }
    return o;
  }

  /**
   * What a child needs just to run, granted on top of its declared permissions: the executables of
   * the command line (wrappers, the program, a script's interpreter) and their dynamic loader, to
   * run; the library directories, {@code /etc/ld.so.cache} and {@code /proc}, to read;
   * {@code /dev/null} and the log file, to write; and the JDK's {@code jspawnhelper}, which the
   * spawner thread runs first.
   */
  public static Map<Path, Long> runtimeGrants(List<String> command, Map<String, String> env, Path workingDir, Optional<Path> logFile) {
    List<Object> key = java.util.Arrays.asList(command, env.get("PATH"), workingDir, logFile);
    Map<Path, Long> known = GRANTS.get(key);
    if (known != null) {
      return known;
    }
    Map<Path, Long> g = computeGrants(command, env, workingDir, logFile);
    if (GRANTS.size() >= 1024) { // specs come and go with reloads and scaling: never grow without bound
      GRANTS.clear();
    }
    GRANTS.put(key, g);
    return g;
  }

  /**
   * Each restart and each status call of a child with permissions asks for the same grants: they
   * are computed once (ELF headers and shebangs read) per command line, PATH, directory and log file.
   */
  private static final Map<List<Object>, Map<Path, Long>> GRANTS = new java.util.concurrent.ConcurrentHashMap<>();

  private static Map<Path, Long> computeGrants(List<String> command, Map<String, String> env, Path workingDir, Optional<Path> logFile) {
    Map<Path, Long> g = new LinkedHashMap<>();
    Path helper = Path.of(System.getProperty("java.home"), "lib", "jspawnhelper");
    if (Files.exists(helper)) {
      grantExecutable(g, helper);
    }
    for (String c : command) {
      if (c.startsWith("/") && Files.isRegularFile(Path.of(c)) && Files.isExecutable(Path.of(c))) {
        grantExecutable(g, Path.of(c));
      }
    }
    int argv0 = argv0Index(command);
    if (argv0 >= 0) {
      Executables.resolve(command.get(argv0), env, workingDir).ifPresent(exe -> grantExecutable(g, exe));
    }
    for (Path dir : LIBRARY_DIRS) {
      if (Files.isDirectory(dir)) {
        g.merge(dir, Landlock.READ, (a, b) -> a | b);
      }
    }
    for (String f : List.of("/etc/ld.so.cache", "/etc/ld.so.preload")) {
      if (Files.exists(Path.of(f))) {
        g.merge(Path.of(f), Landlock.READ_FILE, (a, b) -> a | b);
      }
    }
    g.merge(Path.of("/proc"), Landlock.READ, (a, b) -> a | b);
    g.merge(Path.of("/dev/null"), Landlock.READ_FILE | Landlock.WRITE_FILE | Landlock.TRUNCATE, (a, b) -> a | b);
    logFile.ifPresent(f -> g.merge(f, Landlock.READ_FILE | Landlock.WRITE_FILE | Landlock.TRUNCATE, (a, b) -> a | b));
    return java.util.Collections.unmodifiableMap(g);
  }

  /** The declared rules plus {@link #runtimeGrants}, as Landlock rules. */
  public static List<Landlock.Rule> rules(Permissions perm, Map<Path, Long> runtime) {
    Map<Path, Long> all = new LinkedHashMap<>(runtime);
    perm.read().forEach(p -> all.merge(p, Landlock.READ, (a, b) -> a | b));
    perm.write().forEach(p -> all.merge(p, Landlock.WRITE, (a, b) -> a | b));
    perm.exec().forEach(p -> all.merge(p, Landlock.RUN, (a, b) -> a | b));
    List<Landlock.Rule> out = new ArrayList<>();
    all.forEach((p, a) -> out.add(new Landlock.Rule(p, a)));
    return out;
  }

  /** Index of the program in a command built by {@link #command}: past every wrapper. */
  private static int argv0Index(List<String> command) {
    int i = 0;
    Set<String> wrappers = Set.of("prlimit", "unshare", "setpriv", "setsid");
    while (i < command.size()) {
      String c = command.get(i);
      String base = Path.of(c).getFileName() == null ? c : Path.of(c).getFileName().toString();
      if (c.startsWith("/") && wrappers.contains(base)) {
        int dd = command.subList(i, command.size()).indexOf("--");
        i = base.equals("setsid") || dd < 0 ? i + 1 : i + dd + 1;
      } else if (c.startsWith("/") && base.equals("sh") && i + 2 < command.size() && command.get(i + 1).equals("-c")
          && command.get(i + 2).startsWith("umask ")) {
        i += 3;
      } else if (c.startsWith("/") && base.equals("sh") && i + 3 < command.size() && command.get(i + 1).equals("-c")
          && Set.of(ListenSockets.LISTEN_PID_SCRIPT, PARENT_CHECK_SCRIPT, Cgroups.JOIN_SCRIPT).contains(command.get(i + 2))) {
        i += 4; // sh -c SCRIPT $0 program...
      } else if (c.startsWith("/") && base.equals("sh") && i + 4 < command.size() && command.get(i + 1).equals("-c")
          && command.get(i + 2).equals(Cgroups.JOIN_SCRIPT_PARENT_CHECKED)) {
        i += 5; // sh -c SCRIPT procs ppid program...
      } else {
        return i;
      }
    }
    return -1;
  }

  private static void grantExecutable(Map<Path, Long> g, Path exe) {
    g.merge(exe, Landlock.RUN, (a, b) -> a | b);
    try {
      Path real = exe.toRealPath();
      Executables.interpreter(real).ifPresent(ld -> g.merge(ld, Landlock.RUN, (a, b) -> a | b));
      shebang(real).ifPresent(interp -> {
        if (!g.containsKey(interp)) {
          grantExecutable(g, interp);
        }
      });
    } catch (IOException ignored) {
      // the spawn itself reports a missing executable
    }
  }

  private static Optional<Path> shebang(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] head = in.readNBytes(256);
      if (head.length < 3 || head[0] != '#' || head[1] != '!') {
        return Optional.empty();
      }
      String line = new String(head, 2, head.length - 2, StandardCharsets.UTF_8).lines().findFirst().orElse("").trim();
      String interp = line.split("\\s+")[0];
      return interp.startsWith("/") ? Optional.of(Path.of(interp)) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
