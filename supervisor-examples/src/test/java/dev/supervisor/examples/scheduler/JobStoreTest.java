package dev.supervisor.examples.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.supervisor.examples.tools.Intent;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobStoreTest {
  @TempDir Path dir;

  @Test
  void theSweepFailsStaleRunsButNotTheOneInFlightNorRecentOnes() throws Exception {
    Instant now = Instant.now();
    try (JobStore store = JobStore.open(dir.resolve("scheduler.db"))) {
      JobStore.Job job = store.add("j", "* * * * *", Intent.exec(List.of("date")), now);
      long stale = store.startRun(job, now.minus(Duration.ofMinutes(20)));
      long inFlight = store.startRun(job, now.minus(Duration.ofMinutes(30)));
      long recent = store.startRun(job, now.minus(Duration.ofMinutes(1)));
      assertThat(store.failStaleRuns(now.minus(Duration.ofMinutes(5)), inFlight, now)).isEqualTo(1);
      assertThat(store.runs("j", 10)).extracting(r -> r.id() + " " + r.status())
          .containsExactlyInAnyOrder(stale + " failed", inFlight + " running", recent + " running");
    }
  }
}
