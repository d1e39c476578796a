package dev.supervisor.functional;

import static dev.supervisor.testsupport.TestChildren.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.Backoff;
import dev.supervisor.RestartMode;
import dev.supervisor.RestartPolicy;
import dev.supervisor.Supervisor;
import dev.supervisor.event.ChildStartFailed;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** What the supervisor owns under its home it keeps: a deleted directory comes back before the next spawn or write. */
class HomeDirectoriesTest extends SupervisorFixture {
  private static final RestartPolicy EVERY_100MS = RestartPolicy.of(RestartMode.ON_FAILURE, Backoff.fixed(Duration.ofMillis(100)))
      .restartForever();

  @Test
  void aDeletedLogDirectoryComesBackAndACrashLoopingChildKeepsRestartingWithItsLog() throws Exception {
    Supervisor s = start(sh("crasher", "echo run; exit 1").restartPolicy(EVERY_100MS).build());
    Path logs = home.resolve("logs");
    Path log = logs.resolve("crasher.log");
    await().atMost(WAIT).until(() -> child(s, "crasher").restarts() >= 2 && Files.readString(log).contains("run"));
    deleteTree(logs);
    int restartsBefore = child(s, "crasher").restarts();

    await().atMost(WAIT).until(() -> Files.isRegularFile(log) && Files.readString(log).contains("run")
        && child(s, "crasher").restarts() >= restartsBefore + 3);
    assertThat(eventsOf(ChildStartFailed.class)).as("no start failed for the missing directory").isEmpty();
    assertThat(mode(logs)).isEqualTo("rwx------");
    assertThat(mode(log)).isEqualTo("rw-------");
    await().atMost(WAIT).until(() -> Files.isRegularFile(logs.resolve("supervisor-events.jsonl"))
        && Files.readString(logs.resolve("supervisor-events.jsonl")).contains("\"name\":\"crasher\""));
  }

  @Test
  void aDeletedIncidentDirectoryComesBackPrivateAtTheNextCrash() throws Exception {
    Path incidents = home.resolve("incidents");
    Supervisor s = start(sh("flaky", "echo boom; sleep 0.3; exit 3").restartPolicy(EVERY_100MS).build());
    await().atMost(WAIT).until(() -> !s.incidents("flaky").isEmpty());
    deleteTree(incidents);
    long lastRun = child(s, "flaky").runId();

    await().atMost(WAIT).until(() -> s.incidents("flaky").stream().anyMatch(i -> i.runId() > lastRun));
    assertThat(s.incidents("flaky").get(0).lastLines()).contains("boom");
    assertThat(mode(incidents)).isEqualTo("rwx------");
  }

  @Test
  void aLogFileThatCannotBeOpenedIsAStartFailureNamingTheFileNotTheProgram() throws Exception {
    Path logs = home.resolve("logs");
    Supervisor s = start(sh("crasher", "echo run; exit 1").restartPolicy(EVERY_100MS).build());
    await().atMost(WAIT).until(() -> child(s, "crasher").restarts() >= 1);
    replaceWithAFile(logs);

    await().atMost(WAIT).until(() -> !eventsOf(ChildStartFailed.class).isEmpty());
    assertThat(eventsOf(ChildStartFailed.class).get(0).reason())
        .isEqualTo("log file " + logs.resolve("crasher.log") + " cannot be opened: " + logs
            + ": a file that is not a directory is in the way");
    Files.delete(logs);
    int failures = eventsOf(ChildStartFailed.class).size();
    await().atMost(WAIT).until(() -> Files.isRegularFile(logs.resolve("crasher.log"))
        && Files.readString(logs.resolve("crasher.log")).contains("run"));
    assertThat(eventsOf(ChildStartFailed.class).size()).isLessThanOrEqualTo(failures + 1); // one may have been under way
  }

  static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  /**
   * Puts a regular file where {@code dir} is (which stops root too, unlike permission bits),
   * again if the supervisor makes the directory again between the delete and the write.
   */
  static void replaceWithAFile(Path dir) {
    await().atMost(WAIT).ignoreExceptions().until(() -> {
      deleteTree(dir);
      Files.writeString(dir, "a file where a directory should be", java.nio.file.StandardOpenOption.CREATE_NEW);
      return true;
    });
  }

  /** Deletes {@code dir} as {@code rm -rf} would, again if a child's spawn puts a file back meanwhile. */
  static void deleteTree(Path dir) {
    await().atMost(WAIT).ignoreExceptions().until(() -> {
      if (!Files.exists(dir)) {
        return true;
      }
      try (Stream<Path> all = Files.walk(dir)) {
        for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
      return !Files.exists(dir);
    });
  }
}
