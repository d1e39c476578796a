package dev.supervisor.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.supervisor.testsupport.Pids;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.TestProcesses;
import java.io.IOException;
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

/** SIGHUP and 'agentd daemon reload' against target/agentd.jar with a --config file: only the difference is applied. */
@ExtendWith(ProcessLeakGuard.class)
class ReloadIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path JAR = Path.of("target", "agentd.jar");
  private static final Duration WAIT = Duration.ofSeconds(60);
  @TempDir Path dir;
  private Path home;
  private Path config;

  record Result(int code, String out, String err) {}

  private Result agentd(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString(),
        "--home", home.toString(), "--config", config.toString()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process p = TestProcesses.builder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("agentd %s finished", List.of(args)).isTrue();
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private JsonNode status() throws Exception {
    return JSON.readTree(agentd("daemon", "status", "--json").out());
  }

  private long pid(String name) throws Exception {
    for (JsonNode c : status().path("children")) {
      if (c.path("name").asText().equals(name) && c.path("state").asText().equals("RUNNING") && !c.path("pid").isNull()) {
        return c.path("pid").asLong();
      }
    }
    return -1;
  }

  private List<String> names() throws Exception {
    List<String> out = new ArrayList<>();
    status().path("children").forEach(c -> out.add(c.path("name").asText()));
    return out;
  }

  /** A child marked with AGENTD_HOME, so that the cleanup finds it. */
  private String child(String name, String seconds) {
    return "{\"name\": \"" + name + "\", \"command\": [\"sleep\", \"" + seconds + "\"], \"env\": {\"AGENTD_HOME\": \"" + home + "\"}}";
  }

  private void writeConfig(String... children) throws IOException {
    Files.writeString(config, "{\"children\": [" + String.join(", ", children) + "]}");
  }

  @AfterEach
  void noProcessLeftBehind() throws Exception {
    if (home == null) {
      return;
    }
    AgentdHomes.stopAndCheck(home, () -> agentd("daemon", "stop"));
  }

  @Test
  void sighupAppliesTheEditedConfigAndAnInvalidOneChangesNothing() throws Exception {
    home = dir.resolve("home");
    config = dir.resolve("c.json");
    writeConfig(child("keep", "1000"), child("gone", "1000"), child("changed", "1000"));
    Result start = agentd("daemon", "start");
    assertThat(start.code()).as(start.err()).isZero();
    await().atMost(WAIT).until(() -> pid("keep") > 0 && pid("gone") > 0 && pid("changed") > 0);
    long supervisor = status().path("supervisor").path("pid").asLong();
    long keep = pid("keep");
    long changed = pid("changed");
    long gone = pid("gone");
    // a --config run is the user's children only: none of the trio's keys, policy, workspace or work directories
    for (String trio : java.util.List.of("keys", "policy.json", "workspace", "work", "audit.log", "agentd.key")) {
      assertThat(home.resolve(trio)).as(trio).doesNotExist();
    }

    writeConfig(child("keep", "1000"), child("changed", "999"), child("fresh", "1000"));
    assertThat(TestProcesses.builder("kill", "-HUP", Long.toString(supervisor)).start().waitFor()).isZero();
    await().atMost(WAIT).until(() -> pid("fresh") > 0 && !Pids.alive(gone) && pid("changed") > 0 && pid("changed") != changed);
    assertThat(Pids.alive(supervisor)).as("the supervisor after SIGHUP").isTrue();
    assertThat(status().path("supervisor").path("pid").asLong()).isEqualTo(supervisor);
    assertThat(pid("keep")).isEqualTo(keep);
    assertThat(names()).containsExactly("keep", "changed", "fresh");

    // an invalid edit: exit 2 naming the file and field, nothing changed
    long fresh = pid("fresh");
    long changedNow = pid("changed");
    Files.writeString(config, "{\"children\": [{\"name\": \"keep\", \"command\": [\"sleep\", \"1000\"], \"stopGrace\": \"10x\"}]}");
    Result bad = agentd("daemon", "reload");
    assertThat(bad.code()).as(bad.out() + bad.err()).isEqualTo(2);
    assertThat(bad.err()).contains(config.toString()).contains("children[0].stopGrace");
    assertThat(names()).containsExactly("keep", "changed", "fresh");
    assertThat(pid("keep")).isEqualTo(keep);
    assertThat(pid("fresh")).isEqualTo(fresh);
    assertThat(pid("changed")).isEqualTo(changedNow);

    // a valid one through the command: the answer lists what it did
    writeConfig(child("keep", "1000"), child("changed", "999"));
    Result ok = agentd("daemon", "reload");
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(ok.out()).contains("removed: fresh").contains("unchanged: keep, changed").contains("added: -");
    assertThat(pid("keep")).isEqualTo(keep);
    assertThat(agentd("daemon", "reload", "--help").code()).isZero();
  }
}
