package dev.supervisor.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.supervisor.testsupport.Pids;
import dev.supervisor.testsupport.ProcessLeakGuard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code agentd daemon upgrade} end to end: the agentd jar is replaced by another one at the same
 * path, and the upgrade puts a new supervisor process in place that adopts the running children
 * (same pids, same restart counts), which keep working.
 */
@ExtendWith(ProcessLeakGuard.class)
class UpgradeIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(50);
  @TempDir Path dir;
  private Path home;
  private Path jar;

  record Result(int code, String out, String err) {}

  @BeforeEach
  void aJarOfOurOwn() throws IOException {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x")); // as root the children run as nobody
    home = dir.resolve("home");
    Path installed = Files.createDirectories(dir.resolve("opt"));
    jar = installed.resolve("agentd.jar");
    Files.copy(Path.of("target", "agentd.jar"), jar);
  }

  private Result agentd(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        jar.toString(), "--home", home.toString()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    ProcessBuilder pb = dev.supervisor.testsupport.TestProcesses.builder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().put(ProcessLeakGuard.MARK_VAR, ProcessLeakGuard.mark());
    Process p = pb.start();
    assertThat(p.waitFor(50, TimeUnit.SECONDS)).as("agentd %s finished", List.of(args)).isTrue();
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private JsonNode status() throws Exception {
    return JSON.readTree(agentd("daemon", "status", "--json").out());
  }

  private Map<String, JsonNode> children() throws Exception {
    Map<String, JsonNode> out = new HashMap<>();
    status().path("children").forEach(c -> out.put(c.path("name").asText(), c));
    return out;
  }

  private boolean allReady() throws Exception {
    Map<String, JsonNode> c = children();
    return c.size() == 3 && c.values().stream().allMatch(x -> x.path("state").asText().equals("READY"));
  }

  @AfterEach
  void noProcessLeftBehind() throws Exception {
    AgentdHomes.stopAndCheck(home, () -> agentd("daemon", "stop"));
  }

  /** The same launcher with one more entry: another file, another hash, still a working jar. */
  private void replaceTheJar() throws Exception {
    Path extra = Files.createDirectories(dir.resolve("extra"));
    Files.writeString(extra.resolve("UPGRADED.txt"), "v2\n");
    Path next = dir.resolve("next.jar");
    Files.copy(Path.of("target", "agentd.jar"), next);
    Process p = dev.supervisor.testsupport.TestProcesses.builder(Path.of(System.getProperty("java.home"), "bin", "jar").toString(), "uf", next.toString(), "-C",
        extra.toString(), "UPGRADED.txt").inheritIO().start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as("jar uf").isTrue();
    Files.move(next, jar, StandardCopyOption.REPLACE_EXISTING); // as a package manager would: a new file at the old path
  }

  @Test
  void aNewJarTakesOverTheRunningChildrenWithTheirPidsAndCounts() throws Exception {
    Result start = agentd("daemon", "start");
    assertThat(start.code()).as(start.err()).isZero();
    await().atMost(WAIT).until(this::allReady);
    long executor = children().get("executor").path("pid").asLong();
    ProcessHandle.of(executor).orElseThrow().destroyForcibly(); // one restart on the record
    await().atMost(WAIT).until(() -> allReady() && children().get("executor").path("pid").asLong() != executor);
    Map<String, JsonNode> before = children();
    assertThat(before.get("executor").path("restarts").asInt()).isEqualTo(1);
    long oldSupervisor = status().path("supervisor").path("pid").asLong();

    replaceTheJar();
    Result up = agentd("daemon", "upgrade");

    assertThat(up.code()).as(up.out() + up.err()).isZero();
    assertThat(up.out()).startsWith("agentd upgraded: pid " + oldSupervisor + " -> ").endsWith("; nothing restarted\n")
        .contains("validator (pid " + before.get("validator").path("pid").asLong() + ")")
        .contains("executor (pid " + before.get("executor").path("pid").asLong() + ")")
        .contains("scheduler (pid " + before.get("scheduler").path("pid").asLong() + ")");
    assertThat(Pids.alive(oldSupervisor)).isFalse();
    JsonNode s = status();
    long newSupervisor = s.path("supervisor").path("pid").asLong();
    assertThat(newSupervisor).isNotEqualTo(oldSupervisor);
    assertThat(Files.readString(Path.of("/proc", Long.toString(newSupervisor), "cmdline"))).contains(jar.toString());
    Map<String, JsonNode> after = children();
    for (String n : List.of("validator", "executor", "scheduler")) {
      assertThat(after.get(n).path("pid").asLong()).as(n).isEqualTo(before.get(n).path("pid").asLong());
      assertThat(after.get(n).path("restarts").asInt()).as(n).isEqualTo(before.get(n).path("restarts").asInt());
      assertThat(after.get(n).path("state").asText()).as(n).isEqualTo("READY");
    }
    // the children run from their copy of the old jar: the validator and the executor still answer
    Result tool = agentd("tool", "write", "hello.txt", "--text", "after the upgrade");
    assertThat(tool.code()).as(tool.out() + tool.err()).isZero();
    Result read = agentd("tool", "read", "hello.txt");
    assertThat(read.out()).as(read.err()).contains("after the upgrade");
    try (var lib = Files.list(home.resolve("lib"))) {
      assertThat(lib.filter(p -> p.getFileName().toString().matches("agentd-[0-9a-f]{16}\\.jar"))).as("the old copy and the new").hasSize(2);
    }
    // and the new supervisor supervises them: a crash is restarted, counted on top of the old count
    ProcessHandle.of(before.get("executor").path("pid").asLong()).orElseThrow().destroyForcibly();
    await().atMost(WAIT).until(() -> allReady() && children().get("executor").path("restarts").asInt() == 2);
  }

  @Test
  void withOrphansKillTheUpgradeIsRefusedAndNothingChanges() throws Exception {
    assertThat(agentd("--orphans", "kill", "daemon", "start").code()).isZero();
    await().atMost(WAIT).until(this::allReady);
    long supervisor = status().path("supervisor").path("pid").asLong();
    Map<String, JsonNode> before = children();

    Result up = agentd("daemon", "upgrade");

    assertThat(up.code()).isEqualTo(1);
    assertThat(up.err()).startsWith("agentd: cannot upgrade pid " + supervisor + ": cannot hand over: ")
        .contains("would die with this supervisor").contains("--orphans adopt").contains("nothing was changed");
    assertThat(status().path("supervisor").path("pid").asLong()).isEqualTo(supervisor);
    assertThat(children().get("validator").path("pid").asLong()).isEqualTo(before.get("validator").path("pid").asLong());
  }

  @Test
  void withNoSupervisorThereIsNothingToUpgrade() throws Exception {
    Result up = agentd("daemon", "upgrade");
    assertThat(up.code()).isEqualTo(3);
    assertThat(up.err()).contains("not running").contains("nothing to upgrade; start it with 'agentd daemon start'");
  }
}
