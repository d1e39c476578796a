package dev.supervisor.functional;

import static dev.supervisor.testsupport.TestChildren.sh;
import static dev.supervisor.testsupport.TestChildren.sleeps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ChildState;
import dev.supervisor.Supervisor;
import dev.supervisor.event.LogWriteFailed;
import dev.supervisor.event.LogWriteRecovered;
import dev.supervisor.internal.EventLog;
import dev.supervisor.testsupport.TestProcesses;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A child's log that cannot be written is a fault as a failed state write is: noticed by the
 * periodic log check, one event and one WARN per episode, shown in status, retried, and a
 * recovery event when it works again. The child keeps running.
 */
class LogFaultsTest extends SupervisorFixture {
  private static final Duration CHECK = Duration.ofMillis(100);

  @Test
  void aFullLogFileSystemIsAFaultInStatusUntilThereIsRoomAgain() throws Exception {
    Path logs = home.resolve("logs");
    Files.createDirectories(logs);
    mountTinyTmpfs(logs);
    try {
      Supervisor s = start(b -> b.logCheckInterval(CHECK).eventLog(false),
          sh("filler", "head -c 200000 /dev/zero | tr '\\0' x; echo; exec sleep 1000").build());
      await().atMost(WAIT).until(() -> child(s, "filler").logFault().isPresent());
      assertThat(child(s, "filler").logFault().get()).isEqualTo("no space left on the file system of " + logs + " (0 bytes free)");
      assertThat(child(s, "filler").state()).isEqualTo(ChildState.RUNNING);
      assertThat(s.status().toTable()).contains("log of filler not written: no space left on the file system of " + logs);
      LogWriteFailed failed = eventsOf(LogWriteFailed.class).get(0);
      assertThat(failed.name()).isEqualTo("filler");
      assertThat(failed.runId()).isEqualTo(1);
      assertThat(EventLog.toJson(failed).toString()).isEqualTo("{\"type\":\"LogWriteFailed\",\"at\":\"" + failed.at()
          + "\",\"name\":\"filler\",\"runId\":1,\"reason\":\"" + failed.reason() + "\"}");

      Files.write(logs.resolve("filler.log"), new byte[0]); // room again
      await().atMost(WAIT).until(() -> child(s, "filler").logFault().isEmpty());
      assertThat(eventsOf(LogWriteFailed.class)).as("one event per episode, though checked every 100 ms").hasSize(1);
      assertThat(eventsOf(LogWriteRecovered.class)).extracting(LogWriteRecovered::name).containsExactly("filler");
      s.close();
    } finally {
      unmount(logs);
    }
  }

  @Test
  void aLogDeletedWhileTheChildRunsIsAFaultUntilItsNextStart() throws Exception {
    // what status says at the moment each event is delivered: the event comes before the status it explains
    java.util.concurrent.atomic.AtomicReference<Supervisor> self = new java.util.concurrent.atomic.AtomicReference<>();
    java.util.List<String> seenAtEvent = new java.util.concurrent.CopyOnWriteArrayList<>();
    Supervisor s = start(b -> b.logCheckInterval(CHECK).listener(e -> {
      if (e instanceof LogWriteFailed || e instanceof LogWriteRecovered) {
        seenAtEvent.add(e.getClass().getSimpleName() + ": " + (child(self.get(), "quiet").logFault().isPresent() ? "fault" : "none"));
      }
    }, Runnable::run), sleeps("quiet").build());
    self.set(s);
    s.awaitHealthy(WAIT);
    Path log = home.resolve("logs/quiet.log");
    long pid = pid(s, "quiet");
    Files.delete(log);

    await().atMost(WAIT).until(() -> child(s, "quiet").logFault().isPresent());
    assertThat(child(s, "quiet").logFault().get()).isEqualTo("log file " + log + " was deleted while the child runs (pid " + pid
        + "): its output is lost until it starts again; restart it to write the log again");
    s.restart("quiet");
    await().atMost(WAIT).until(() -> child(s, "quiet").logFault().isEmpty() && pid(s, "quiet") != pid);
    assertThat(log).exists();
    assertThat(eventsOf(LogWriteFailed.class)).hasSize(1);
    assertThat(eventsOf(LogWriteRecovered.class)).hasSize(1); // once status is clear, the event is there (it once was not)
    assertThat(seenAtEvent).containsExactly("LogWriteFailed: none", "LogWriteRecovered: fault");
  }

  @Test
  void anUnusableLogDirectoryIsAFaultAndTheChildKeepsRunning() throws Exception {
    Supervisor s = start(b -> b.logCheckInterval(CHECK), sleeps("steady").build());
    s.awaitHealthy(WAIT);
    Path logs = home.resolve("logs");
    HomeDirectoriesTest.replaceWithAFile(logs);

    await().atMost(WAIT).until(() -> child(s, "steady").logFault().isPresent());
    assertThat(child(s, "steady").logFault().get())
        .isEqualTo("log directory " + logs + " cannot be created: a file that is not a directory is in the way");
    assertThat(child(s, "steady").state()).isEqualTo(ChildState.RUNNING);
    Files.delete(logs);
    await().atMost(WAIT).until(() -> child(s, "steady").logFault().isPresent()
        && child(s, "steady").logFault().get().contains("was deleted while the child runs")); // the directory is back, its file is not
    s.restart("steady");
    await().atMost(WAIT).until(() -> child(s, "steady").logFault().isEmpty() && Files.isRegularFile(logs.resolve("steady.log")));
    assertThat(eventsOf(LogWriteFailed.class)).hasSize(1);
    assertThat(eventsOf(LogWriteRecovered.class)).hasSize(1);
  }

  /** A 64 KiB tmpfs on {@code dir}: a file system that fills up in a moment. Skips the test where mounting is not allowed. */
  private static void mountTinyTmpfs(Path dir) throws Exception {
    Process p = TestProcesses.builder("mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", dir.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    Assumptions.assumeTrue(p.waitFor() == 0, "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): " + out);
  }

  private static void unmount(Path dir) throws IOException, InterruptedException {
    Process p = TestProcesses.builder("umount", "-l", dir.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (p.waitFor() != 0) {
      throw new IOException("umount " + dir + " failed: " + out);
    }
  }
}
