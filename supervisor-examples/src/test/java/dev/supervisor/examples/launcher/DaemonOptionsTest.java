package dev.supervisor.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** What the background {@code daemon run} is started with: every option that shapes the supervisor, and only those. */
class DaemonOptionsTest {
  private static Agentd parsed(String... args) {
    CommandLine cl = Agentd.commandLine();
    cl.parseArgs(args);
    return cl.getCommand();
  }

  @Test
  void theBackgroundDaemonGetsTheChildUserConfigOrphansAndHttp() {
    Agentd a = parsed("--child-user", "svc", "--config", "/etc/c.json", "--orphans", "kill", "--http", "127.0.0.1:9000", "--timeout",
        "2s", "daemon", "start");
    List<String> cmd = a.runCommand(new AgentdHome(Path.of("/tmp/h")));
    // --child-user was dropped before: 'agentd --child-user svc daemon start' ran the trio as nobody
    assertThat(String.join(" ", cmd)).endsWith("--home /tmp/h --config /etc/c.json --orphans kill --http 127.0.0.1:9000"
        + " --child-user svc daemon run");
  }

  @Test
  void childrenOutliveTheSupervisorByDefaultSoThatItCanBeUpgraded() {
    assertThat(parsed("daemon", "start").daemonOptions()).containsExactly("--orphans", "adopt");
  }

  @TempDir Path dir;

  @Test
  void theRecordedOptionsReadBackAndAnythingElseIsRefused() throws Exception {
    Path f = dir.resolve("daemon.args");
    Files.writeString(f, "[\"--config\",\"/etc/c.json\",\"--orphans\",\"adopt\"]\n");
    assertThat(DaemonCmd.recordedOptions(f)).containsExactly("--config", "/etc/c.json", "--orphans", "adopt");
    for (String bad : List.of("[\"--config\"", "{}", "[\"--orphans\"]", "[\"--home\",\"/\"]", "[\"-Dx\",\"y\"]", "[1,2]")) {
      Files.writeString(f, bad);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> DaemonCmd.recordedOptions(f)).as(bad)
          .isInstanceOf(IOException.class);
    }
  }
}
