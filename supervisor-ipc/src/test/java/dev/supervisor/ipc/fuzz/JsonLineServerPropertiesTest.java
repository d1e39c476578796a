package dev.supervisor.ipc.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.supervisor.ipc.JsonLineClient;
import dev.supervisor.ipc.JsonLineServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/** Random bytes and random JSON against one server: every reply is a JSON object, and the server keeps serving. */
class JsonLineServerPropertiesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Path dir;
  private static Path sock;
  private static JsonLineServer server;

  @BeforeContainer
  static void start() throws IOException {
    dir = Files.createTempDirectory("jsonline-fuzz");
    sock = dir.resolve("run/fuzz.sock");
    server = JsonLineServer.builder(sock).maxLineBytes(4096).readTimeout(Duration.ofMillis(500))
        .handler((req, peer) -> JSON.createObjectNode().put("echoed", req.path("type").asText())).build().start();
  }

  @AfterContainer
  static void stop() throws IOException {
    server.close();
    try (var s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Sends {@code bytes} (then closes our side) and returns every reply line. */
  private static List<String> exchange(byte[] bytes) throws IOException {
    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
      try {
        ch.write(ByteBuffer.wrap(bytes));
        ch.shutdownOutput();
      } catch (IOException e) {
        // the server closed first (line too long): its reply is still readable
      }
      BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
      return in.lines().toList();
    }
  }

  private static void assertWellFormed(List<String> replies) throws Exception {
    for (String r : replies) {
      JsonNode n = JSON.readTree(r);
      assertThat(n.isObject()).as(r).isTrue();
      assertThat(n.path("type").asText()).as(r).isIn("result", "error", "pong");
      if (n.path("type").asText().equals("error")) {
        assertThat(n.path("code").asText()).isNotEmpty();
        assertThat(n.path("message").asText()).isNotEmpty();
      }
    }
    assertThat(JsonLineClient.of(sock, Duration.ofSeconds(5)).call(JSON.createObjectNode().put("type", "ping")).path("type").asText())
        .isEqualTo("pong");
  }

  @Property(tries = 300)
  void randomBytesNeverBreakTheServer(@ForAll("bytes") byte[] bytes) throws Exception {
    assertWellFormed(exchange(bytes));
  }

  @Property(tries = 300)
  void randomJsonLinesGetOneWellFormedReplyEach(@ForAll("jsonLines") List<String> lines) throws Exception {
    byte[] bytes = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
    List<String> replies = exchange(bytes);
    assertWellFormed(replies);
    long nonEmpty = lines.stream().filter(l -> !l.isEmpty()).count();
    assertThat(replies).hasSize((int) nonEmpty);
  }

  @Provide
  Arbitrary<byte[]> bytes() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(9000);
  }

  @Provide
  Arbitrary<List<String>> jsonLines() {
    Arbitrary<String> scalar = Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(20).map(s -> {
          try {
            return JSON.writeValueAsString(s);
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        }),
        Arbitraries.integers().map(String::valueOf),
        Arbitraries.of("true", "false", "null", "1e999", "-0", "{", "}", "[", "]", ",", ":"));
    Arbitrary<String> nested = Arbitraries.integers().between(0, 120).map(d -> "[".repeat(d) + "1" + "]".repeat(d));
    Arbitrary<String> request = Arbitraries.of("ping", "echo", "", "x".repeat(50)).flatMap(type ->
        scalar.map(v -> "{\"type\":\"" + type + "\",\"id\":" + v + "}"));
    Arbitrary<String> line = Arbitraries.oneOf(request, nested, scalar, scalar.list().ofMaxSize(5).map(l -> String.join("", l)));
    return line.filter(l -> !l.contains("\n")).list().ofMinSize(1).ofMaxSize(8);
  }
}
