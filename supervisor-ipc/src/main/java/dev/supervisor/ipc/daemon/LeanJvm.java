package dev.supervisor.ipc.daemon;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The JVM a supervisor needs, and a way to get it whichever way the supervisor was started. A
 * supervisor allocates little and runs no hot loop: {@link #FLAGS} (a 64 MiB serial heap, C1
 * only, a small code cache) keep its own RSS near 50 MiB, where the JVM's defaults (a quarter of
 * the machine's memory, G1, C2) let it grow to hundreds of MiB under churn (children that
 * crash-loop) without any leak. {@code daemon start} and {@code ensureRunning} pass the flags;
 * a foreground supervisor started by hand or by a systemd unit calls {@link #relaunch} first.
 */
public final class LeanJvm {
  /** The supervisor's JVM flags. */
  public static final List<String> FLAGS = List.of("-Xms8m", "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
      "-XX:CICompilerCount=1", "-XX:ReservedCodeCacheSize=16m", "-XX:-UsePerfData", "-Xss256k", "-XX:MaxMetaspaceSize=64m",
      "-XX:+UnlockDiagnosticVMOptions", "-XX:ArchiveRelocationMode=0");
  /** Set on the relaunched JVM: it is never relaunched again. */
  public static final String RELAUNCHED = "supervisor.leanJvm";

  /**
   * The JVM options a relaunch passes on as they are: properties, module and assertion switches.
   * Anything else (any {@code -X} or {@code -XX} option, an agent, a debugger) is the user tuning
   * the JVM, which is then left as it is: the daemon's flags could clash with it ({@code -Xms512m}
   * against {@code -Xmx64m}), and an agent or a debug port started twice fails.
   */
  private static final List<String> PASSED_ON = List.of("-D", "--enable-native-access", "--add-opens", "--add-exports",
      "--add-reads", "--add-modules", "--illegal-native-access", "-ea", "-da", "-esa", "-dsa", "-enableassertions",
      "-disableassertions", "-Xshare:");
  /** Where the launcher and the JVM read more options from: set, and the relaunch would apply them twice. */
  private static final List<String> OPTION_VARIABLES = List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS");

  /** execv(2) through the FFM API (JDK 22+). */
  interface Exec {
    /** Replaces this process; returns only on failure: the errno, or -1 when nothing was tried (descriptors not markable). */
    int exec(String path, List<String> argv);
  }

  private LeanJvm() {}

  /** Whether {@code jvmArgs} tune the JVM (any option but properties, module and assertion switches). */
  public static boolean sizedByUser(List<String> jvmArgs) {
    return jvmArgs.stream().anyMatch(a -> PASSED_ON.stream().noneMatch(a::startsWith));
  }

  /**
   * Makes this process a lean supervisor JVM: when its JVM was started without any heap or
   * collector flag, it replaces itself (same pid, same environment and descriptors 0-2; what a
   * service manager watches does not change) by {@code java FLAGS <its own JVM options> -cp <its
   * class path> main args}. On JDK 22+ only (execv through the FFM API); elsewhere, or when the
   * exec fails, it returns, and so does it when there is nothing to do.
   *
   * @return why this JVM was not replaced, for a WARN; empty when it needs no replacing
   */
  public static Optional<String> relaunch(Class<?> main, String... args) {
    List<String> jvmArgs = ManagementFactory.getRuntimeMXBean().getInputArguments();
    if (System.getProperty(RELAUNCHED) != null || sizedByUser(jvmArgs)) {
      return Optional.empty();
    }
    long maxMiB = Runtime.getRuntime().maxMemory() >> 20;
    String why = "this JVM runs with its default heap (up to " + maxMiB + " MiB) and collector; start it with "
        + String.join(" ", FLAGS) + " (as daemon start does) to keep the supervisor near 50 MiB";
    Optional<String> variable = OPTION_VARIABLES.stream().filter(v -> System.getenv(v) != null && !System.getenv(v).isBlank())
        .findFirst();
    if (variable.isPresent()) {
      return Optional.of(why + " (it does not relaunch itself while " + variable.get() + " adds options, which would be applied"
          + " twice)");
    }
    if (Runtime.version().feature() < 22) {
      return Optional.of(why + " (on JDK 22+ it relaunches itself so)");
    }
    Exec exec;
    try {
      exec = (Exec) Class.forName("dev.supervisor.ipc.daemon.ExecFfm").getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return Optional.of(why + " (it cannot relaunch itself: " + e + ")");
    }
    List<String> argv = new ArrayList<>();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    argv.add(java);
    argv.addAll(FLAGS);
    if (jvmArgs.stream().noneMatch(a -> a.startsWith("--enable-native-access"))) {
      argv.add("--enable-native-access=ALL-UNNAMED"); // what a -jar manifest granted
    }
    argv.addAll(jvmArgs);
    argv.add("-D" + RELAUNCHED + "=true"); // last, so no option before it can undo the guard against a second relaunch
    argv.add("-cp");
    argv.add(System.getProperty("java.class.path"));
    argv.add(main.getName());
    argv.addAll(List.of(args));
    System.out.flush();
    System.err.flush();
    int errno = exec.exec(java, argv);
    return Optional.of(why + " (relaunching it failed: " + (errno < 0 ? "descriptors could not be marked close-on-exec"
        + " (Linux 5.11+)" : "errno " + errno) + ")");
  }
}
