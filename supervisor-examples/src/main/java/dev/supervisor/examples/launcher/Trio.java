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
  public static final List<String> DAEMON_JVM_FLAGS = List.of("-Xms8m", "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
      "-XX:CICompilerCount=1", "-XX:ReservedCodeCacheSize=16m", "-XX:-UsePerfData", "-Xss256k", "-XX:MaxMetaspaceSize=64m");

  /** Flags for short CLI invocations: start fast, no JIT beyond C1, no perf data. */
  public static final List<String> CLI_JVM_FLAGS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xshare:auto");

  /** The three children, in start order. */
  public static final java.util.List<String> NAMES = java.util.List.of("validator", "executor", "scheduler");

  private Trio() {}

  /** The JVM command that runs {@code main} from this program's class path. */
  public static List<String> javaCommand(Class<?> main, String... jvmFlags) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (Runtime.version().feature() >= 22) {
      cmd.add("--enable-native-access=ALL-UNNAMED");
    }
    cmd.addAll(List.of(jvmFlags));
    cmd.add("-cp");
    cmd.add(absoluteClassPath());
    cmd.add(main.getName());
    return cmd;
  }

  /**
   * The trio; {@code AGENTD_POLL}, {@code AGENTD_DRAIN_GRACE}, {@code AGENTD_SWEEP} and
   * {@code AGENTD_APPROVAL_TTL} from {@code env} pass through to scheduler and validator.
   */
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

  /** The trio run as this process's own user, with the commands of the home's policy. */
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
    return List.of(
        child(home, "validator", ValidatorMain.class).env("AGENTD_SIGNING_KEY", home.signingKey().toString())
            .env(Approvals.TTL_ENV, Approvals.ttlFrom(env).toMillis() + "ms")
            .privileges(TrioPrivileges.of("validator", home, user, List.of(home.policy(), home.signingKey().getParent()),
                List.of(home.audit()), List.of()))
            .build(),
        child(home, "executor", ExecutorMain.class).env("AGENTD_VERIFY_KEY", home.verifyKey().toString())
            .privileges(TrioPrivileges.of("executor", home, user, List.of(home.policy(), home.verifyKey().getParent()),
                List.of(home.workspace()), commands))
            .build(),
        child(home, "scheduler", SchedulerMain.class).env("AGENTD_POLL", poll)
            .env("AGENTD_DRAIN_GRACE", env.getOrDefault("AGENTD_DRAIN_GRACE", "3s"))
            .env("AGENTD_SWEEP", env.getOrDefault("AGENTD_SWEEP", "5m"))
            .privileges(TrioPrivileges.of("scheduler", home, user, List.of(), List.of(), List.of()))
            .dependsOn("validator", "executor").build());
  }

  private static ChildSpec.Builder child(AgentdHome home, String name, Class<?> main) {
    SocketHealthCheck ping = SocketHealthCheck.ping(home.socket(name), Duration.ofSeconds(2));
    return ChildSpec.builder(name)
        .argv(javaCommand(main, "-Xmx48m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-XX:-UsePerfData",
            "-Djava.io.tmpdir=" + home.workDir(name).resolve("tmp")))
        .workingDirectory(home.workDir(name))
        .inheritEnv("PATH", "LANG", "TZ")
        .env("AGENTD_HOME", home.root().toString())
        .env("AGENTD_OWNER_UID", Long.toString(dev.supervisor.ipc.Uids.current()))
        .readiness(ping, Duration.ofSeconds(60), Duration.ofMillis(100))
        .healthCheck(ping, Duration.ofSeconds(15), 3)
        .stopGrace(Duration.ofSeconds(5));
  }
}
