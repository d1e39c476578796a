package dev.supervisor.ipc.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.ipc.ErrorCode;
import dev.supervisor.ipc.JsonLineClient;
import dev.supervisor.ipc.JsonLineServer;
import dev.supervisor.ipc.RpcException;
import dev.supervisor.ipc.internal.Json;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of connections opened and abandoned in every way a careless or hostile client can:
 * closed at once, closed mid-line, half-closed after a request without reading the reply,
 * half-closed before sending anything, and a thousand held open silently at the same time. The
 * server must keep serving, and its threads, file descriptors and heap must come back to where
 * they were. {@code -Dchurn.connections=N} sets the number of abandoned connections (default 4000).
 */
class ConnectionChurnTest {
  @TempDir Path dir;

  @Test
  void abandonedAndHalfOpenConnectionsLeaveNothingBehind() throws Exception {
    int total = Integer.getInteger("churn.connections", 4000);
    Path sock = dir.resolve("run/churn.sock");
    try (JsonLineServer server = JsonLineServer.builder(sock).readTimeout(Duration.ofMillis(500)).build().start()) {
      JsonLineClient client = JsonLineClient.of(sock, Duration.ofSeconds(5));
      ping(client); // warm up the server's threads and classes before the baseline
      long heap0 = usedHeapAfterGc();
      long fds0 = openFds();

      Random random = new Random(42);
      int[] kinds = new int[4];
      for (int i = 0; i < total; i++) {
        int kind = random.nextInt(4);
        kinds[kind]++;
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
          switch (kind) {
            case 0 -> { } // connect and go
            case 1 -> write(ch, "{\"type\":\"ping\",\"id\":" + i + ",\"pad\":\"" + "x".repeat(random.nextInt(2000))); // cut mid-line
            case 2 -> { // a request, then half-close and leave without reading the reply
              write(ch, "{\"type\":\"ping\",\"id\":" + i + "}\n");
              ch.shutdownOutput();
            }
            default -> ch.shutdownOutput(); // half-closed before a byte was sent
          }
        } catch (IOException e) {
          // a refused connect or a write into a socket the server already closed is fine too
        }
      }
      // right after the flood the server may still be draining it: a caller gets an answer or BUSY, never a reset
      for (int i = 0; i < 20; i++) {
        try {
          ping(client);
        } catch (RpcException e) {
          assertThat(e.code()).isEqualTo(ErrorCode.BUSY);
        }
      }
      await().atMost(Duration.ofSeconds(10)).ignoreException(RpcException.class).untilAsserted(() -> ping(client));

      // a thousand connections at once, held silently past the read timeout, then dropped
      List<SocketChannel> held = new ArrayList<>();
      try {
        for (int i = 0; i < 1000; i++) {
          held.add(SocketChannel.open(UnixDomainSocketAddress.of(sock)));
        }
        assertThat(serverThreads()).as("threads serving connections stay bounded").isLessThanOrEqualTo(8 + 3); // + acceptor, rejector, socket watch
      } finally {
        for (SocketChannel ch : held) {
          ch.close();
        }
      }

      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(openFds()).isLessThanOrEqualTo(fds0 + 2));
      ping(client);
      long heap1 = usedHeapAfterGc();
      System.out.printf("churn: %d abandoned connections (%d closed at once, %d cut mid-line, %d half-closed after a request,"
          + " %d half-closed empty) + 1000 held at once; fds %d -> %d, heap after GC %.1f -> %.1f MiB, server threads %d%n",
          total, kinds[0], kinds[1], kinds[2], kinds[3], fds0, openFds(), heap0 / 1048576.0, heap1 / 1048576.0, serverThreads());
      assertThat(heap1 - heap0).as("heap growth after %d abandoned connections", total).isLessThan(16L << 20);
      assertThat(serverThreads()).isLessThanOrEqualTo(8 + 3);
    }
  }

  private static void ping(JsonLineClient client) throws Exception {
    ObjectNode pong = client.call(Json.MAPPER.createObjectNode().put("type", "ping"));
    assertThat(pong.path("type").asText()).isEqualTo("pong");
  }

  private static void write(SocketChannel ch, String s) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  private static long openFds() throws IOException {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }

  /** This server's threads: those named like its acceptor ({@code jsonline-N-accept churn.sock}). */
  private static long serverThreads() {
    String prefix = Thread.getAllStackTraces().keySet().stream().map(Thread::getName).filter(n -> n.endsWith("-accept churn.sock"))
        .map(n -> n.substring(0, n.length() - "accept churn.sock".length())).findFirst().orElseThrow();
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix) && t.isAlive()).count();
  }

  private static long usedHeapAfterGc() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return rt.totalMemory() - rt.freeMemory();
  }
}
