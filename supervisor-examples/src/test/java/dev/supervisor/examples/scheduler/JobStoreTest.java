package dev.supervisor.examples.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.supervisor.examples.tools.Intent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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

  @Test
  void theDatabaseAndItsJournalsAreOwnerOnly() throws Exception {
    Path db = dir.resolve("scheduler.db");
    try (JobStore store = JobStore.open(db)) {
      store.add("j", "* * * * *", Intent.exec(List.of("date")), Instant.now()); // a write: the WAL and its index exist now
      assertThat(dir.resolve("scheduler.db-wal")).exists();
      assertThat(List.of(mode(db), mode(dir.resolve("scheduler.db-wal")), mode(dir.resolve("scheduler.db-shm"))))
          .containsOnly("rw-------");
    }
    try (JobStore store = JobStore.open(db)) { // an existing database opens as before
      assertThat(store.list()).extracting(JobStore.Job::name).containsExactly("j");
    }
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db); var s = c.createStatement()) {
      s.execute("PRAGMA journal_mode = DELETE"); // the rollback journal takes the database's mode too
      s.execute("BEGIN IMMEDIATE");
      s.execute("INSERT INTO jobs (name, cron, intent, next_run_at, created_at) VALUES ('k', '* * * * *', '{}', 0, 0)");
      assertThat(mode(dir.resolve("scheduler.db-journal"))).isEqualTo("rw-------");
      s.execute("ROLLBACK");
    }
  }

  static String mode(Path p) throws java.io.IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
