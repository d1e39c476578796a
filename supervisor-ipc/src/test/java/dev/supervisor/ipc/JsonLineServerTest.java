package dev.supervisor.ipc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.ipc.internal.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

class JsonLineServerTest {
  @TempDir Path dir;
  private final List<JsonLineServer> servers = new ArrayList<>();

  private JsonLineServer serve(JsonLineServer.Builder b) throws IOException {
    JsonLineServer s = b.build().start();
    servers.add(s);
    return s;
  }

  private Path sock() {
    return dir.resolve("run/test.sock");
  }

  private JsonLineServer echo() throws IOException {
    return serve(JsonLineServer.builder(sock()).version("1.2.3").handler((req, peer) -> {
      if (!req.path("type").asText().equals("echo")) {
        throw new RpcException(ErrorCode.UNKNOWN_TYPE, "unknown request type '" + req.path("type").asText() + "'");
      }
      return Json.MAPPER.createObjectNode().set("echo", req.path("value"));
    }));
  }

  @AfterEach
  void close() {
    servers.forEach(JsonLineServer::close);
  }

  private static ObjectNode req(String type) {
    return Json.MAPPER.createObjectNode().put("type", type);
  }

  /**
   * Sends raw bytes and returns the reply lines until the server closes or {@code replies}
   * arrived. Uses the JDK's channel, which (unlike junixsocket) still reads what the server sent
   * after a write of ours failed because the server closed first.
   */
  private List<JsonNode> raw(byte[] bytes, int replies) throws IOException {
    try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(sock()))) {
      try {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
      } catch (IOException e) {
        // the server closed before reading everything (line too long): read its reply anyway
      }
      BufferedReader in = new BufferedReader(new InputStreamReader(java.nio.channels.Channels.newInputStream(ch), StandardCharsets.UTF_8));
      List<JsonNode> out = new ArrayList<>();
      String line;
      while (out.size() < replies && (line = in.readLine()) != null) {
        out.add(Json.MAPPER.readTree(line));
      }
      return out;
    }
  }

  private void stillServes() throws Exception {
    assertThat(JsonLineClient.of(sock(), Duration.ofSeconds(5)).call(req("ping")).path("type").asText()).isEqualTo("pong");
  }

  @Test
  void pingAnswersWithPidUptimeAndVersion() throws Exception {
    echo();
    ObjectNode pong = JsonLineClient.of(sock(), Duration.ofSeconds(5)).call(req("ping").put("id", "abc"));
    assertThat(pong.path("type").asText()).isEqualTo("pong");
    assertThat(pong.path("id").asText()).isEqualTo("abc");
    assertThat(pong.path("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
    assertThat(pong.path("uptimeMs").asLong()).isGreaterThanOrEqualTo(0);
    assertThat(pong.path("version").asText()).isEqualTo("1.2.3");
  }

  @Test
  void aHandlerResultCarriesTheRequestId() throws Exception {
    echo();
    ObjectNode reply = JsonLineClient.of(sock(), Duration.ofSeconds(5)).call(req("echo").put("id", 7).put("value", "hi"));
    assertThat(reply.toString()).isEqualTo("{\"type\":\"result\",\"id\":7,\"echo\":\"hi\"}");
  }

  @Test
  void theSocketDirectoryIs0700AndTheSocket0600() throws Exception {
    echo();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock().getParent()))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock()))).isEqualTo("rw-------");
  }

  @Test
  void badInputGetsErrorRepliesAndTheConnectionGoesOn() throws Exception {
    echo();
    byte[] input = String.join("\n",
        "{not json",
        "[1,2,3]",
        "{\"id\":1}",
        "{\"type\":\"nope\",\"id\":2}",
        "[".repeat(100) + "]".repeat(100),
        "{\"type\":\"echo\",\"id\":3,\"value\":\"still here\"}",
        "").getBytes(StandardCharsets.UTF_8);
    List<JsonNode> replies = raw(input, 6);
    assertThat(replies).extracting(r -> r.path("code").asText())
        .containsExactly("BAD_JSON", "BAD_REQUEST", "BAD_REQUEST", "UNKNOWN_TYPE", "BAD_JSON", "");
    assertThat(replies.get(0).path("message").asText()).startsWith("malformed JSON: ");
    assertThat(replies.get(3).path("message").asText()).isEqualTo("unknown request type 'nope'");
    assertThat(replies.get(3).path("id").asInt()).isEqualTo(2);
    assertThat(replies.get(4).path("message").asText()).contains("nesting depth");
    assertThat(replies.get(5).path("echo").asText()).isEqualTo("still here");
  }

  @Test
  void nonUtf8BytesAreRefused() throws Exception {
    echo();
    byte[] bad = {'{', '"', 't', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'};
    assertThat(raw(bad, 1)).singleElement().satisfies(r -> assertThat(r.path("code").asText()).isEqualTo("BAD_ENCODING"));
    stillServes();
  }

  @Test
  void aHundredMegabyteLineIsRefusedWithoutKillingTheServer() throws Exception {
    echo();
    byte[] huge = new byte[100 * 1024 * 1024];
    java.util.Arrays.fill(huge, (byte) 'x');
    List<JsonNode> replies = raw(huge, 1);
    assertThat(replies).singleElement().satisfies(r -> {
      assertThat(r.path("code").asText()).isEqualTo("LINE_TOO_LONG");
      assertThat(r.path("message").asText()).isEqualTo("request line longer than 1048576 bytes; connection closed");
    });
    stillServes();
  }

  @Test
  void aClientThatDisconnectsMidLineDoesNotDisturbOthers() throws Exception {
    echo();
    for (int i = 0; i < 20; i++) {
      try (AFUNIXSocket s = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(sock()))) {
        s.getOutputStream().write("{\"type\":\"echo\",\"val".getBytes(StandardCharsets.UTF_8));
      }
    }
    stillServes();
  }

  @Test
  void aSilentOrSlowClientIsCutOffAtTheReadTimeout() throws Exception {
    serve(JsonLineServer.builder(sock()).readTimeout(Duration.ofMillis(300)).workers(1).maxConnections(4));
    try (AFUNIXSocket silent = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(sock()))) {
      silent.setSoTimeout(5000);
      silent.getOutputStream().write("{\"type\":".getBytes(StandardCharsets.UTF_8));
      String reply = new BufferedReader(new InputStreamReader(silent.getInputStream(), StandardCharsets.UTF_8)).readLine();
      assertThat(Json.MAPPER.readTree(reply).path("code").asText()).isEqualTo("TIMEOUT");
    }
    stillServes(); // the single worker is free again
  }

  @Test
  void beyondMaxConnectionsClientsAreToldTheServerIsBusy() throws Exception {
    serve(JsonLineServer.builder(sock()).workers(1).maxConnections(1).readTimeout(Duration.ofSeconds(5)));
    try (JsonLineClient.Connection held = JsonLineClient.of(sock(), Duration.ofSeconds(5)).connect()) {
      held.call(req("ping")); // the only worker now serves this connection
      for (int i = 0; i < 50; i++) { // the refusal must reach the client, never a broken pipe (a regression)
        assertThatThrownBy(() -> JsonLineClient.of(sock(), Duration.ofSeconds(5)).call(req("ping")))
            .isInstanceOf(RpcException.class)
            .hasMessage("server busy: 1 connections in use; try again")
            .satisfies(e -> assertThat(((RpcException) e).code()).isEqualTo(ErrorCode.BUSY));
      }
    }
  }

  @Test
  void aPeerNotAllowedIsRefused() throws Exception {
    serve(JsonLineServer.builder(sock()).peerPolicy(PeerPolicy.uids(12345)));
    assertThatThrownBy(() -> JsonLineClient.of(sock(), Duration.ofSeconds(5)).call(req("ping")))
        .isInstanceOf(RpcException.class)
        .hasMessage("uid " + Uids.current() + " pid " + ProcessHandle.current().pid() + " may not connect to test.sock (uids[12345])");
  }

  /** Issue: a refusal used to show the policy's class, e.g. "ControlServer$$Lambda$81/0x...". */
  @Test
  void aRefusalNamesThePolicyInWordsNeverAClassOrLambda() throws Exception {
    String me = "uid " + Uids.current() + " pid " + ProcessHandle.current().pid();
    serve(JsonLineServer.builder(sock()).peerPolicy(p -> false));
    assertThatThrownBy(() -> JsonLineClient.of(sock(), Duration.ofSeconds(5)).call(req("ping")))
        .isInstanceOf(RpcException.class).hasMessage(me + " may not connect to test.sock (its peer policy)");
    servers.remove(0).close();
    serve(JsonLineServer.builder(sock()).peerPolicy(PeerPolicy.of("uids 4 and 5", p -> p.uid() == 4 || p.uid() == 5)));
    assertThatThrownBy(() -> JsonLineClient.of(sock(), Duration.ofSeconds(5)).call(req("ping")))
        .isInstanceOf(RpcException.class).hasMessage(me + " may not connect to test.sock (uids 4 and 5)");
  }

  private boolean answers() {
    try {
      stillServes();
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /** Issue: with its socket file deleted, a server was unreachable for good ("not running" to every client). */
  @Test
  void aDeletedSocketFileIsBoundAgain() throws Exception {
    echo();
    Files.delete(sock());
    assertThat(answers()).isFalse();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(this::answers);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock()))).isEqualTo("rw-------");
    // even the whole directory
    Files.delete(sock());
    Files.delete(sock().getParent());
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(this::answers);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock().getParent()))).isEqualTo("rwx------");
  }

  @Test
  void aSocketFileReplacedByAStaleOneIsTakenBackButALiveServerThereIsLeftAlone() throws Exception {
    echo();
    Files.delete(sock());
    try (var stale = org.newsclub.net.unix.AFUNIXServerSocket.newInstance()) { // bound, then closed: nobody listens
      stale.bind(AFUNIXSocketAddress.of(sock()));
      stale.setDeleteOnClose(false);
    }
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(this::answers);

    // another live server took the path: the first neither steals it back nor deletes it on close
    JsonLineServer first = servers.get(0);
    Files.delete(sock());
    JsonLineServer other = serve(JsonLineServer.builder(sock()).socketCheckInterval(Duration.ZERO).version("other"));
    org.awaitility.Awaitility.await().pollDelay(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(5)).until(() -> true);
    assertThat(JsonLineClient.of(sock(), Duration.ofSeconds(5)).call(req("ping")).path("version").asText()).isEqualTo("other");
    first.close();
    assertThat(sock()).exists();
    assertThat(JsonLineClient.of(sock(), Duration.ofSeconds(5)).call(req("ping")).path("version").asText()).isEqualTo("other");
    other.close();
    assertThat(sock()).doesNotExist();
  }

  @Test
  void aStaleSocketIsReplacedButALiveOneIsNeverStolen() throws Exception {
    JsonLineServer first = echo();
    assertThatThrownBy(() -> JsonLineServer.builder(sock()).build().start())
        .isInstanceOf(IOException.class)
        .hasMessage("socket " + sock() + " is served by a live process (pid " + ProcessHandle.current().pid() + "): stop it first or choose another path");
    stillServes();
    // a socket file nobody listens on (a crashed server) is replaced
    first.close();
    AFUNIXSocket.newInstance().close();
    try (var stale = org.newsclub.net.unix.AFUNIXServerSocket.newInstance()) {
      stale.bind(AFUNIXSocketAddress.of(sock()));
      stale.setDeleteOnClose(false);
    }
    assertThat(sock()).exists();
    echo();
    stillServes();
  }

  @Test
  void aPersistentConnectionCarriesManyRequests() throws Exception {
    echo();
    try (JsonLineClient.Connection c = JsonLineClient.of(sock(), Duration.ofSeconds(5)).connect()) {
      for (int i = 0; i < 1000; i++) {
        assertThat(c.call(req("echo").put("value", i)).path("echo").asInt()).isEqualTo(i);
      }
    }
  }
}
