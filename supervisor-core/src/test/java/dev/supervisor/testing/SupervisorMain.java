package dev.supervisor.testing;

import dev.supervisor.ChildSpec;
import dev.supervisor.Supervisor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A supervisor in its own JVM, for tests about the host process: {@code SupervisorMain HOME MARK NAME=SCRIPT...}.
 * Starts the children (marked for the leak guard), writes {@code HOME/ready}, then blocks until killed.
 */
public final class SupervisorMain {
  public static void main(String[] args) throws Exception {
    Path home = Path.of(args[0]);
    Supervisor.Builder b = Supervisor.builder(home).shutdownTimeout(Duration.ofSeconds(20));
    for (int i = 2; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      b.child(ChildSpec.builder(kv[0]).argv("sh", "-c", kv[1]).env(ProcessLeakGuard.MARK_VAR, args[1])
          .stopGrace(Duration.ofMillis(500)).build());
    }
    Supervisor sup = b.build();
    sup.startAsync().awaitHealthy(Duration.ofSeconds(20));
    Files.writeString(home.resolve("ready"), Long.toString(ProcessHandle.current().pid()));
    Thread.currentThread().join();
  }

  /** Starts this main in a new JVM with the test class path. */
  public static Process launch(Path home, String... children) throws Exception {
    java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-Xmx64m", SupervisorMain.class.getName(),
        home.toString(), ProcessLeakGuard.mark()));
    cmd.addAll(java.util.List.of(children));
    return new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(home.resolveSibling(home.getFileName() + "-jvm.log").toFile()).start();
  }
}
