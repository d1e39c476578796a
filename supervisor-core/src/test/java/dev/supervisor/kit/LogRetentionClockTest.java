package dev.supervisor.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ChildSpec;
import dev.supervisor.LogConfig;
import dev.supervisor.Supervisor;
import dev.supervisor.testing.FakeProcessLauncher;
import dev.supervisor.testing.ManualClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Log retention ages rotated files by the supervisor's clock, so a test kit's ManualClock decides it. */
class LogRetentionClockTest {
  @TempDir Path home;

  @Test
  void aRotatedFileOlderThanMaxAgeByTheInjectedClockIsDeleted() throws Exception {
    Path rotated = Files.createDirectories(home.resolve("logs")).resolve("app.log.1");
    Files.writeString(rotated, "yesterday's\n"); // modified now, by the wall clock
    ManualClock clock = ManualClock.at(Instant.now().plus(Duration.ofDays(2)));
    ChildSpec app = ChildSpec.builder("app").argv("/opt/app")
        .logs(LogConfig.defaults().withRetention(Duration.ofHours(1), 0)).build();
    try (Supervisor s = Supervisor.builder(home).processLauncher(new FakeProcessLauncher()).clock(clock).shutdownHook(false)
        .child(app).build()) {
      s.startAsync().awaitHealthy(Duration.ofSeconds(5));
      // two days old by the supervisor's clock: the first check prunes it (it read the wall clock, where it is new)
      await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(rotated));
    }
    assertThat(rotated).doesNotExist();
  }
}
