package dev.supervisor.ipc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.ipc.internal.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server closed while it is answering: the reply in flight is written first, and a second
 * close() returns only once that is done. This is the hand-over's case: its reply says what was
 * handed over, the supervisor's terminal event closes the server meanwhile, and the process
 * exits once its own close() returns.
 */
class JsonLineServerCloseTest {
  @TempDir Path dir;

  @Test
  void aReplyInFlightIsWrittenBeforeTheServerGoesAndEveryCloseWaitsForIt() throws Exception {
    CountDownLatch answering = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    JsonLineServer server = JsonLineServer.builder(dir.resolve("run/s.sock")).handler((req, peer) -> {
      answering.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        throw new IllegalStateException("interrupted before answering", e);
      }
      return Json.MAPPER.createObjectNode().put("done", true);
    }).build().start();
    ObjectNode request = Json.MAPPER.createObjectNode().put("type", "slow");
    CompletableFuture<ObjectNode> reply = CompletableFuture.supplyAsync(() -> {
      try {
        return JsonLineClient.of(server.socket(), Duration.ofSeconds(10)).call(request);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    assertThat(answering.await(10, TimeUnit.SECONDS)).isTrue();

    CompletableFuture<Void> first = CompletableFuture.runAsync(server::close);
    CompletableFuture<Void> second = CompletableFuture.runAsync(server::close);
    // neither close may be done while the handler still works on its answer
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !first.isDone() && !second.isDone());
    release.countDown();
    assertThat(reply.get(10, TimeUnit.SECONDS).path("done").asBoolean()).isTrue();
    assertThat(first).succeedsWithin(Duration.ofSeconds(5));
    assertThat(second).succeedsWithin(Duration.ofSeconds(5));
  }
}
