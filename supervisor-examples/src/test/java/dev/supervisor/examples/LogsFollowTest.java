package dev.supervisor.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.examples.launcher.Agentd;
import dev.supervisor.testsupport.ProcessLeakGuard;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** agentd logs -f keeps following a log through a copy-truncate rotation. */
@ExtendWith(ProcessLeakGuard.class)
class LogsFollowTest {
  @TempDir Path home;

  @Test
  void followsAcrossARotation() throws Exception {
    Path log = Files.createDirectories(home.resolve("logs")).resolve("worker.log");
    Files.writeString(log, "old-1\nold-2\n");
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream saved = System.out;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      CompletableFuture<Integer> follow = CompletableFuture.supplyAsync(
          () -> Agentd.run("--home", home.toString(), "logs", "worker", "-n", "1", "-f", "--for", "4s"));
      await().atMost(Duration.ofSeconds(10)).until(() -> captured.toString(StandardCharsets.UTF_8).contains("old-2"));
      Files.writeString(log, "before-rotation\n", StandardOpenOption.APPEND);
      await().atMost(Duration.ofSeconds(10)).until(() -> captured.toString(StandardCharsets.UTF_8).contains("before-rotation"));
      try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
        ch.truncate(0); // what copy-truncate rotation does
      }
      Files.writeString(log, "after\n", StandardOpenOption.APPEND);
      await().atMost(Duration.ofSeconds(10)).until(() -> captured.toString(StandardCharsets.UTF_8).contains("after"));
      assertThat(follow.get()).isZero();
    } finally {
      System.setOut(saved);
    }
    assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("old-1")
        .contains("old-2\n", "before-rotation\n", "after\n");
  }
}
