package dev.supervisor.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.supervisor.testsupport.Pids;
import dev.supervisor.testsupport.ProcessLeakGuard;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code agentd daemon status --json} through its regular path (picocli, ControlClient, Jackson)
 * against a real {@code agentd daemon run} with two real children. Every other end-to-end call
 * of it but ReloadIT's goes through {@link FastStatus}, which takes exactly {@code [--home DIR]
 * [--timeout T] daemon status --json}. Any other top-level option leaves it to the regular path:
 * here {@code --config FILE}, as someone who runs agentd with a config passes it on every call
 * (status ignores it). Options after the subcommand are not an alternative: picocli refuses them.
 */
@ExtendWith(ProcessLeakGuard.class)
class AgentdStatusE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(40);
  @TempDir Path dir;
  private Path home;
  private Path config;
  private Process daemon;

  record Run(int code, String out, String err) {}

  private ProcessBuilder java(String... args) {
    return java(List.of("-XX:TieredStopAtLevel=1", "-Xshare:auto"), args);
  }

  /** {@code args} in a JVM with {@code jvmFlags} only (none: the JVM's defaults, as a hand-written unit has). */
  private ProcessBuilder java(List<String> jvmFlags, String... args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path")));
    cmd.addAll(jvmFlags);
    if (Runtime.version().feature() >= 22) {
      cmd.add("--enable-native-access=ALL-UNNAMED"); // what agentd.jar's manifest grants (junixsocket), else JDK 24+ warns
    }
    cmd.add(Agentd.class.getName());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = dev.supervisor.testsupport.TestProcesses.builder(cmd);
    pb.environment().put(ProcessLeakGuard.MARK_VAR, ProcessLeakGuard.mark());
    pb.environment().remove("AGENTD_HOME");
    return pb;
  }

  private Run agentd(String... args) throws Exception {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process p = java(args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("agentd %s finished", List.of(args)).isTrue();
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** The regular path: the same request with {@code --config}. */
  private Run regularStatus() throws Exception {
    String[] args = {"--home", home.toString(), "--config", config.toString(), "daemon", "status", "--json"};
    assertThat(FastStatus.matches(args)).as("not the fast path").isNull();
    return agentd(args);
  }

  @AfterEach
  void stopDaemon() throws Exception {
    if (daemon != null && daemon.isAlive()) {
      daemon.destroy(); // SIGTERM: the shutdown hook stops the children
      if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
        daemon.destroyForcibly();
      }
    }
  }

  private static boolean allRunning(JsonNode s) {
    if (s.path("children").size() != 2) {
      return false;
    }
    for (JsonNode c : s.path("children")) {
      if (!c.path("state").asText().equals("RUNNING") || !c.path("pid").isNumber()) {
        return false;
      }
    }
    return true;
  }

  @Test
  void statusJsonOnTheRegularPathReportsTheRealChildren() throws Exception {
    home = dir.resolve("home");
    config = dir.resolve("agentd.json");
    String mark = "\"" + ProcessLeakGuard.MARK_VAR + "\": \"" + ProcessLeakGuard.mark() + "\"";
    Files.writeString(config, "{\"children\": ["
        + "{\"name\": \"alpha\", \"command\": [\"sleep\", \"1000\"], \"env\": {" + mark + "}},"
        + "{\"name\": \"beta\", \"command\": [\"sh\", \"-c\", \"exec sleep 1001\"], \"env\": {" + mark + "}}]}");
    Run down = regularStatus();
    assertThat(down.code()).as(down.err()).isEqualTo(3);
    JsonNode none = JSON.readTree(down.out());
    assertThat(none.path("supervisor").path("running").asBoolean(true)).isFalse();
    assertThat(none.path("children")).isEmpty();

    daemon = java(List.of("-Xshare:auto"), "--home", home.toString(), "--config", config.toString(), "daemon", "run")
        .redirectErrorStream(true).redirectOutput(dir.resolve("daemon.log").toFile()).start();

    await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() -> {
      assertThat(daemon.isAlive()).as("daemon is up: %s", Files.readString(dir.resolve("daemon.log"))).isTrue();
      Run r = regularStatus();
      return r.code() == 0 && allRunning(JSON.readTree(r.out()));
    });
    Run r = regularStatus();
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).as("one JSON line").endsWith("\n").doesNotContain("\"type\"").hasLineCount(1);
    JsonNode s = JSON.readTree(r.out());
    JsonNode sup = s.path("supervisor");
    assertThat(sup.path("state").asText()).isEqualTo("RUNNING");
    assertThat(sup.path("pid").asLong()).isEqualTo(daemon.pid());
    // started with the JVM's defaults, `daemon run` took the daemon's flags: relaunched in place on JDK 22+ (same pid)
    List<String> jvmLine = List.of(Files.readString(Path.of("/proc", Long.toString(daemon.pid()), "cmdline")).split("\0"));
    if (Runtime.version().feature() >= 22) {
      assertThat(jvmLine).contains("-Xmx64m", "-XX:+UseSerialGC", "-Dsupervisor.leanJvm=true");
      assertThat(jvmLine.indexOf("-Xmx64m")).isLessThan(jvmLine.indexOf(Agentd.class.getName()));
    } else {
      assertThat(jvmLine).doesNotContain("-Xmx64m");
      assertThat(Files.readString(dir.resolve("daemon.log"))).contains("agentd: WARN this JVM runs with its default heap");
    }
    assertThat(sup.path("home").asText()).isEqualTo(home.toString());
    int jdk = Runtime.version().feature();
    String layer = jdk >= 22 ? "ffm (posix_spawn, pidfd exits, kill(2))" : "jdk (ProcessBuilder, kill command)";
    assertThat(sup.path("jdk").asInt()).isEqualTo(jdk);
    assertThat(sup.path("processLayer").asText()).isEqualTo(layer);
    Run table = agentd("--home", home.toString(), "daemon", "status");
    assertThat(table.out()).as(table.err()).startsWith("agentd running (pid " + daemon.pid() + ", up ")
        .contains(", JDK " + jdk + ", process layer " + layer + "), home " + home);
    assertThat(s.path("children")).extracting(c -> c.path("name").asText()).containsExactly("alpha", "beta");
    for (JsonNode c : s.path("children")) {
      assertThat(c.fieldNames()).toIterable()
          .contains("name", "state", "pid", "uptimeMs", "restarts", "lastExit", "cpuMs", "rssBytes", "policy", "processes");
      long pid = c.path("pid").asLong();
      assertThat(Pids.alive(pid)).as("%s's pid %d is alive", c.path("name").asText(), pid).isTrue();
      String cmdline = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8);
      assertThat(cmdline).as("the process is the child's").contains("sleep")
          .endsWith(c.path("name").asText().equals("alpha") ? "\0001000\000" : "\0001001\000");
      assertThat(ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid)).as("a child of the daemon")
          .hasValue(daemon.pid());
      assertThat(c.path("restarts").asInt()).isZero();
      assertThat(c.path("processes").asInt()).isEqualTo(1);
    }

    // the fast path answers the same children, with the same fields
    Run fast = agentd("--home", home.toString(), "daemon", "status", "--json");
    assertThat(fast.code()).as(fast.err()).isZero();
    JsonNode f = JSON.readTree(fast.out());
    assertThat(f.path("children")).extracting(c -> c.path("name").asText() + " " + c.path("pid").asLong())
        .isEqualTo(List.of("alpha " + s.path("children").get(0).path("pid").asLong(), "beta " + s.path("children").get(1).path("pid").asLong()));
    List<String> regularFields = new ArrayList<>();
    s.path("children").get(0).fieldNames().forEachRemaining(regularFields::add);
    List<String> fastFields = new ArrayList<>();
    f.path("children").get(0).fieldNames().forEachRemaining(fastFields::add);
    assertThat(regularFields).isEqualTo(fastFields);
  }
}
