package dev.supervisor.examples.launcher;

import dev.supervisor.ChildSpec;
import dev.supervisor.examples.tools.Approvals;
import dev.supervisor.examples.executor.ExecutorMain;
import dev.supervisor.examples.scheduler.SchedulerMain;
import dev.supervisor.examples.validator.ValidatorMain;
import dev.supervisor.ipc.SocketHealthCheck;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The three built-in children, each its own small JVM started from this jar with only what it
 * needs: its own working directory, {@code PATH LANG TZ} plus {@code AGENTD_HOME}, the approval
 * signing key only for the validator and the verify key only for the executor, and no file
 * descriptors beyond stdio (the JDK closes them).
 * Each is READY when its socket answers {@code ping}, and restarted if it stops answering.
 */
public final class Trio {
  /**
   * Flags of the supervisor JVM that {@code daemon start} runs. Measured with 500 children
   * ({@code bench scale}): a small fixed-size young heap with the serial collector, C1 only, a
   * small code cache and no perf-data file keep the daemon's own RSS near 50 MiB; the rest is
   * the JDK's one reaper thread per child (~0.1 MiB each).
   */
  public static final List<String> DAEMON_JVM_FLAGS = dev.supervisor.ipc.daemon.LeanJvm.FLAGS;

  /** Flags for short CLI invocations: start fast, no JIT beyond C1, no perf data. */
  public static final List<String> CLI_JVM_FLAGS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xshare:auto");

  /**
   * Flags of the three child JVMs: a heap that starts at 4 MiB and stays under 48, the serial
   * collector, C1 only on one compiler thread, a small code cache and metaspace cap, no perf data,
   * and the JDK's class-data archive mapped at its own base address rather than relocated (JDK
   * 20+, and recent 17 updates, relocate it to a random address by default, which makes its 13 MiB private to each JVM;
   * mapped in place, the four JVMs share it). {@code agentd bench family} measures them.
   */
  public static final List<String> CHILD_JVM_FLAGS = List.of("-Xms4m", "-Xmx48m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
      "-XX:CICompilerCount=1", "-XX:ReservedCodeCacheSize=12m", "-XX:MaxMetaspaceSize=48m", "-Xss512k", "-XX:-UsePerfData",
      "-XX:+UnlockDiagnosticVMOptions", "-XX:ArchiveRelocationMode=0");

  /** The three children, in start order. */
  public static final java.util.List<String> NAMES = java.util.List.of("validator", "executor", "scheduler");

  private Trio() {}

  /** The JVM command that runs {@code main} from this program's class path. */
  public static List<String> javaCommand(Class<?> main, String... jvmFlags) {
    return javaCommandFrom(absoluteClassPath(), main, jvmFlags);
  }

  /** The JVM command that runs {@code main} from {@code classPath}. */
  static List<String> javaCommandFrom(String classPath, Class<?> main, String... jvmFlags) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (Runtime.version().feature() >= 22) {
      cmd.add("--enable-native-access=ALL-UNNAMED");
    }
    cmd.addAll(List.of(jvmFlags));
    cmd.add("-cp");
    cmd.add(classPath);
    cmd.add(main.getName());
    return cmd;
  }

  /**
   * The class path the children start from. Run from a jar (the usual {@code java -jar
   * agentd.jar}), it is a copy of that jar in {@code <home>/lib/agentd-<sha256>.jar}: the children
   * keep working when the jar is replaced or rebuilt, and an unprivileged child user can read it
   * wherever the original lives. The three newest copies are kept. Run from a class path of
   * directories (a build), it is that class path.
   */
  static String childClassPath(AgentdHome home) {
    String cp = absoluteClassPath();
    Path jar = Path.of(cp);
    if (cp.contains(java.io.File.pathSeparator) || !cp.endsWith(".jar") || !java.nio.file.Files.isRegularFile(jar)) {
      return cp;
    }
    try {
      java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
      try (java.io.InputStream in = java.nio.file.Files.newInputStream(jar)) {
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
          sha.update(buf, 0, n);
        }
      }
      String hash = java.util.HexFormat.of().formatHex(sha.digest()).substring(0, 16);
      Path lib = home.root().resolve("lib");
      dev.supervisor.persist.OwnerOnly.createDirectories(lib);
      Path copy = lib.resolve("agentd-" + hash + ".jar");
      if (!java.nio.file.Files.exists(copy)) {
        Path tmp = lib.resolve(".agentd-" + hash + ".jar.tmp");
        java.nio.file.Files.copy(jar, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        java.nio.file.Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        java.nio.file.Files.move(tmp, copy, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      }
      java.nio.file.Files.setLastModifiedTime(copy, java.nio.file.attribute.FileTime.from(java.time.Instant.now()));
      try (java.util.stream.Stream<Path> old = java.nio.file.Files.list(lib)) {
        old.filter(p -> p.getFileName().toString().matches("agentd-[0-9a-f]{16}\\.jar"))
            .sorted(java.util.Comparator.comparing((Path p) -> p.toFile().lastModified()).reversed()).skip(3)
            .forEach(p -> p.toFile().delete());
      }
      return copy.toString();
    } catch (java.io.IOException | java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("cannot copy " + jar + " into " + home.root().resolve("lib") + " for the children: " + e.getMessage(), e);
    }
  }

  /**
   * This JVM's class path with every entry made absolute: {@code java -jar target/agentd.jar}
   * reports a relative path, which would break in a child that runs in another directory.
   */
  public static String absoluteClassPath() {
    List<String> out = new ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      if (!e.isEmpty()) {
        out.add(Path.of(e).toAbsolutePath().normalize().toString());
      }
    }
    return String.join(java.io.File.pathSeparator, out);
  }

  /**
   * The trio, run as this process's own user; {@code AGENTD_POLL}, {@code AGENTD_DRAIN_GRACE},
   * {@code AGENTD_SWEEP} and {@code AGENTD_APPROVAL_TTL} from {@code env} pass through to
   * scheduler and validator.
   */
  public static List<ChildSpec> specs(AgentdHome home, Map<String, String> env) {
    return specs(home, env, java.util.Optional.empty(), List.of());
  }

  /**
   * The trio, each child with its least privilege ({@link TrioPrivileges}); run as {@code user}
   * when given (agentd is root); the executor may execute {@code commands} (the policy's).
   */
  public static List<ChildSpec> specs(AgentdHome home, Map<String, String> env, java.util.Optional<ChildUser> user,
      List<Path> commands) {
    String poll = env.getOrDefault("AGENTD_POLL", "30s");
    String classPath = childClassPath(home);
    return List.of(
        child(home, classPath, "validator", ValidatorMain.class).env("AGENTD_SIGNING_KEY", home.signingKey().toString())
            .env(Approvals.TTL_ENV, Approvals.ttlFrom(env).toMillis() + "ms")
            .privileges(TrioPrivileges.of("validator", home, classPath, user, List.of(home.policy(), home.signingKey().getParent()),
                List.of(home.audit()), List.of()))
            .build(),
        child(home, classPath, "executor", ExecutorMain.class).env("AGENTD_VERIFY_KEY", home.verifyKey().toString())
            .privileges(TrioPrivileges.of("executor", home, classPath, user, List.of(home.policy(), home.verifyKey().getParent()),
                List.of(home.workspace()), commands))
            .build(),
        child(home, classPath, "scheduler", SchedulerMain.class).env("AGENTD_POLL", poll)
            .env("AGENTD_DRAIN_GRACE", env.getOrDefault("AGENTD_DRAIN_GRACE", "3s"))
            .env("AGENTD_SWEEP", env.getOrDefault("AGENTD_SWEEP", "5m"))
            .privileges(TrioPrivileges.of("scheduler", home, classPath, user, List.of(), List.of(), List.of()))
            .dependsOn("validator", "executor").build());
  }

  private static ChildSpec.Builder child(AgentdHome home, String classPath, String name, Class<?> main) {
    SocketHealthCheck ping = SocketHealthCheck.ping(home.socket(name), Duration.ofSeconds(2));
    return ChildSpec.builder(name)
        .argv(javaCommandFrom(classPath, main, java.util.stream.Stream.concat(CHILD_JVM_FLAGS.stream(),
            java.util.stream.Stream.of("-Djava.io.tmpdir=" + home.workDir(name).resolve("tmp"))).toArray(String[]::new)))
        .workingDirectory(home.workDir(name))
        .inheritEnv("PATH", "LANG", "TZ")
        .env("AGENTD_HOME", home.root().toString())
        .env("AGENTD_OWNER_UID", Long.toString(dev.supervisor.ipc.Uids.current()))
        .readiness(ping, Duration.ofSeconds(60), Duration.ofMillis(100))
        .healthCheck(ping, Duration.ofSeconds(15), 3)
        .stopGrace(Duration.ofSeconds(5));
  }
}
