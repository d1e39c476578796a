package dev.supervisor.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.SupervisorMain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(ProcessLeakGuard.class)
class PidLockRaceTest {
  @TempDir Path dir;

  @Test
  void twentyJvmsRaceForOneHomeAndExactlyOneWins() throws Exception {
    Path home = Files.createDirectory(dir.resolve("home"));
    List<Process> jvms = new ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) {
        jvms.add(SupervisorMain.launch(home, "only=exec sleep 1000"));
      }
      // 45 s: inside the 60 s default test timeout (junit-platform.properties); the race takes about 7 s
      await().atMost(Duration.ofSeconds(45)).until(() -> jvms.stream().filter(Process::isAlive).count() <= 1
          && Files.exists(home.resolve("ready")));
      List<Process> alive = jvms.stream().filter(Process::isAlive).toList();
      assertThat(alive).hasSize(1);
      long winner = alive.get(0).pid();
      assertThat(Files.readString(home.resolve("ready")).trim()).isEqualTo(Long.toString(winner));
      assertThat(Files.readAllLines(home.resolve("supervisor.pid")).get(0)).isEqualTo(Long.toString(winner));
      Pattern message = Pattern.compile("supervisor already running \\(pid " + winner + ", since \\d{4}-\\d\\d-\\d\\dT[^)]+\\)");
      int losers = 0;
      try (var logs = Files.list(dir)) {
        for (Path log : logs.filter(p -> p.getFileName().toString().startsWith("home-jvm-")).toList()) {
          String text = Files.readString(log).trim();
          if (message.matcher(text).matches()) {
            losers++;
          } else {
            assertThat(text).as("the winner's log").contains("supervisor NEW -> STARTING");
          }
        }
      }
      assertThat(losers).isEqualTo(19);
      assertThat(jvms).filteredOn(p -> !p.isAlive()).allSatisfy(p -> assertThat(p.exitValue()).isEqualTo(SupervisorMain.ALREADY_RUNNING));
    } finally {
      for (Process p : jvms) {
        p.destroy();
      }
      for (Process p : jvms) {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }
}
