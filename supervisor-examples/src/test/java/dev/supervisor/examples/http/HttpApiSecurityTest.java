package dev.supervisor.examples.http;

import static dev.supervisor.testing.TestChildren.sleeps;
import static org.assertj.core.api.Assertions.assertThat;

import dev.supervisor.Supervisor;
import dev.supervisor.testing.ProcessLeakGuard;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP API against the local attacks: clients that stall mid-request. Real server, real sockets.
 */
@ExtendWith(ProcessLeakGuard.class)
class HttpApiSecurityTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  @TempDir Path home;
  private Supervisor sup;
  private HttpApi api;
  private int port;
  private String base;
  private String token;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() throws Exception {
    sup = Supervisor.builder(home).shutdownHook(false).child(sleeps("a").build()).build();
    sup.startAsync().awaitHealthy(WAIT);
    api = HttpApi.start(sup, new InetSocketAddress("127.0.0.1", 0), home.resolve("http.token"));
    port = api.address().getPort();
    base = "http://127.0.0.1:" + port;
    token = Files.readString(home.resolve("http.token")).trim();
  }

  @AfterEach
  void stop() {
    api.close();
    sup.close();
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(WAIT);
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Issue: 40 connections that sent headers with a Content-Length and never the body made
   * /healthz unanswerable (the pool ran work on the dispatcher thread, and nothing timed out).
   */
  @Test
  void clientsThatStallMidRequestAreDroppedAndNeverStarveTheProbes() throws Exception {
    List<Socket> stalled = new ArrayList<>();
    try {
      long t0 = System.nanoTime();
      for (int i = 0; i < 40; i++) { // headers with a body announced, and no body
        stalled.add(stall("POST /api/daemons/a/restart HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAuthorization: Bearer " + token
            + "\r\nContent-Length: 100\r\n\r\n"));
      }
      for (int i = 0; i < 10; i++) { // headers never finished
        stalled.add(stall("GET /api/daemons HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nX-Half: "));
      }
      for (int i = 0; i < 10; i++) { // not a byte
        stalled.add(stall(""));
      }
      long asked = System.nanoTime();
      HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).timeout(Duration.ofSeconds(3))
          .build(), HttpResponse.BodyHandlers.ofString());
      long answeredMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked);
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(answeredMs).as("/healthz with 60 stalled clients, before the server drops them").isLessThan(3000);
      assertThat(get("/api/daemons", "Authorization", "Bearer " + token).statusCode()).isEqualTo(200);

      long slowestMs = 0;
      for (Socket s : stalled) {
        assertThat(closedByServer(s)).as("the server closed a stalled connection").isTrue();
        slowestMs = Math.max(slowestMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
      }
      assertThat(slowestMs).as("every stalled connection dropped within the request deadline and a tick or two")
          .isLessThan(HttpApi.REQUEST_DEADLINE.toMillis() + 4000);
      System.out.printf("stalled clients: /healthz answered in %d ms; all 60 dropped %d ms after they stalled%n", answeredMs,
          slowestMs);
    } finally {
      for (Socket s : stalled) {
        s.close();
      }
    }
  }

  private Socket stall(String partial) throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
    s.getOutputStream().write(partial.getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    return s;
  }

  /** True when the peer closes (EOF or reset) within 12 s: the server gave up on us. */
  private static boolean closedByServer(Socket s) throws IOException {
    s.setSoTimeout(12_000);
    try {
      return s.getInputStream().read() == -1;
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }
}
