package dev.supervisor.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.supervisor.internal.SystemProcessLauncher;
import dev.supervisor.testsupport.Pids;
import dev.supervisor.testsupport.ProcessLeakGuard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue "Operations never take it down", item 5, end to end through target/agentd.jar: a child
 * {@code sh -c 'setsid sleep 1000 & exec sleep 100000'} leaves nothing behind after {@code daemon
 * stop}, nor after SIGTERM to {@code daemon run}; status counts both processes.
 */
@ExtendWith(ProcessLeakGuard.class)
class ContainmentIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path JAR = Path.of("target", "agentd.jar");
  private static final Duration WAIT = Duration.ofSeconds(50);
  @TempDir Path dir;
  private Path home;
  private Path config;

  record Result(int code, String out, String err) {}

  @BeforeEach
  void config() throws IOException {
    assumeTrue(SystemProcessLauncher.INSTANCE.usesCgroups(),
        () -> "a setsid'd grandchild is only contained with a cgroup per child: " + SystemProcessLauncher.INSTANCE.containment());
    home = dir.resolve("home");
    config = dir.resolve("c.json");
    Files.writeString(config, "{\"children\": [{\"name\": \"escaper\", \"command\": [\"sh\", \"-c\","
        + " \"setsid sleep 1000 & exec sleep 100000\"], \"env\": {\"AGENTD_HOME\": \"" + home + "\", \""
        + ProcessLeakGuard.MARK_VAR + "\": \"" + ProcessLeakGuard.mark() + "\"}}]}");
  }

  private ProcessBuilder command(String... args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        JAR.toString(), "--home", home.toString(), "--config", config.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = dev.supervisor.testsupport.TestProcesses.builder(cmd);
    pb.environment().put(ProcessLeakGuard.MARK_VAR, ProcessLeakGuard.mark());
    return pb;
  }

  private Result agentd(String... args) throws Exception {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process p = command(args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(p.waitFor(50, TimeUnit.SECONDS)).as("agentd %s finished", List.of(args)).isTrue();
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private long escaped() throws IOException {
    for (Pids.Live p : Pids.live()) {
      if (p.cmdline().equals("sleep 1000") && Pids.hasEntry(p.environ(), ProcessLeakGuard.MARK_VAR + "=" + ProcessLeakGuard.mark())) {
        return p.pid();
      }
    }
    return -1;
  }

  private JsonNode escaper() throws Exception {
    return JSON.readTree(agentd("daemon", "status", "--json").out()).path("children").get(0);
  }

  @AfterEach
  void stop() throws Exception {
    if (home != null) {
      agentd("daemon", "stop");
    }
  }

  @Test
  void daemonStopEndsTheGrandchildThatCalledSetsid() throws Exception {
    assertThat(agentd("daemon", "start").code()).isZero();
    await().atMost(WAIT).until(() -> escaped() > 0);
    long grandchild = escaped();
    await().atMost(WAIT).until(() -> escaper().path("processes").asInt() == 2);

    Result stop = agentd("daemon", "stop");

    assertThat(stop.code()).as(stop.err()).isZero();
    assertThat(Pids.alive(grandchild)).as("the setsid'd sleep 1000").isFalse();
  }

  @Test
  void sigtermToDaemonRunEndsTheGrandchildToo() throws Exception {
    Path log = dir.resolve("run.log");
    Process run = command("daemon", "run").redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      await().atMost(WAIT).until(() -> escaped() > 0);
      long grandchild = escaped();
      run.destroy(); // SIGTERM
      assertThat(run.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(Pids.alive(grandchild)).as("the setsid'd sleep 1000").isFalse();
    } finally {
      run.destroyForcibly();
    }
  }
}
