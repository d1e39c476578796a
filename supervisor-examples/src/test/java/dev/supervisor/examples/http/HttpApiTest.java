package dev.supervisor.examples.http;

import static dev.supervisor.testsupport.TestChildren.sleeps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.supervisor.Supervisor;
import dev.supervisor.examples.tools.Jsons;
import dev.supervisor.testsupport.Pids;
import dev.supervisor.testsupport.ProcessLeakGuard;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(ProcessLeakGuard.class)
class HttpApiTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  @TempDir Path home;
  private Supervisor sup;
  private HttpApi api;
  private String base;
  private String token;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() throws Exception {
    sup = Supervisor.builder(home).shutdownHook(false).child(sleeps("a").build()).child(sleeps("b").build()).build();
    sup.startAsync().awaitHealthy(WAIT);
    api = HttpApi.start(sup, new InetSocketAddress("127.0.0.1", 0), home.resolve("http.token"));
    base = "http://127.0.0.1:" + api.address().getPort();
    token = Files.readString(home.resolve("http.token")).trim();
  }

  @AfterEach
  void stop() {
    api.close();
    sup.close();
  }

  /** With the operator token. */
  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(WAIT).header("Authorization", "Bearer " + token)
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Without credentials. */
  private HttpResponse<String> anonymous(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String bearer) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(WAIT).POST(HttpRequest.BodyPublishers.noBody());
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    return Jsons.MAPPER.readTree(r.body());
  }

  @Test
  void statusEndpointsHaveTheShapeOfStatusJson() throws Exception {
    HttpResponse<String> r = get("/api/daemons");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode all = json(r);
    assertThat(all.path("supervisor").path("state").asText()).isEqualTo("RUNNING");
    assertThat(all.path("children")).extracting(c -> c.path("name").asText()).containsExactly("a", "b");
    assertThat(all.path("children").get(0).path("restartsPerMinute")).hasSize(60);
    assertThat(json(get("/api/daemons/b")).path("state").asText()).isEqualTo("RUNNING");
    assertThat(get("/api/daemons/a/logs?lines=5").statusCode()).isEqualTo(200);
    assertThat(anonymous("/healthz").statusCode()).isEqualTo(200);
    assertThat(json(anonymous("/readyz")).path("status").asText()).isEqualTo("ready");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("http.token")))).isEqualTo("rw-------");
  }

  @Test
  void writesNeedTheTokenAndBadRequestsGetJsonErrors() throws Exception {
    long before = sup.status().child("a").orElseThrow().pid().orElseThrow();
    HttpResponse<String> none = post("/api/daemons/a/restart", null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(json(none).path("error").path("code").asText()).isEqualTo("UNAUTHORIZED");
    assertThat(post("/api/daemons/a/restart", "wrong-token").statusCode()).isEqualTo(401);
    HttpResponse<String> ok = post("/api/daemons/a/restart", token);
    assertThat(ok.statusCode()).isEqualTo(202);
    await().atMost(WAIT).until(() -> sup.status().child("a").orElseThrow().pid().orElse(before) != before);

    HttpResponse<String> ghost = get("/api/daemons/ghost");
    assertThat(ghost.statusCode()).isEqualTo(404);
    assertThat(json(ghost).path("error").path("message").asText()).isEqualTo("no child named 'ghost'; children: a, b");
    HttpResponse<String> wrongMethod = http.send(HttpRequest.newBuilder(URI.create(base + "/api/daemons"))
        .header("Authorization", "Bearer " + token).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("GET");
    assertThat(json(wrongMethod).path("error").path("code").asText()).isEqualTo("METHOD_NOT_ALLOWED");
    HttpResponse<String> huge = http.send(HttpRequest.newBuilder(URI.create(base + "/api/daemons/a/restart"))
        .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString("x".repeat(200_000))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(huge.statusCode()).isEqualTo(413);
    assertThat(get("/nowhere").statusCode()).isEqualTo(404);
    assertThat(get("/api/daemons/a/logs?lines=0").statusCode()).isEqualTo(400);
  }

  @Test
  void metricsArePrometheusText() throws Exception {
    HttpResponse<String> r = get("/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
    assertThat(r.body()).contains("supervisor_child_up{child=\"a\"} 1.0", "supervisor_child_ready{child=\"b\"} 1.0",
        "supervisor_child_restarts_total{child=\"a\"} 0.0", "# TYPE supervisor_child_restarts_total counter",
        "supervisor_child_uptime_seconds{child=\"a\"}", "supervisor_child_cpu_seconds{child=\"a\"}",
        "supervisor_child_rss_bytes{child=\"a\"}", "supervisor_uptime_seconds ", "supervisor_storm_breaker_open 0.0");
  }

  @Test
  void eventsStreamStateChangesAsTheyHappen() throws Exception {
    HttpResponse<java.io.InputStream> stream = http.send(HttpRequest.newBuilder(URI.create(base + "/api/events"))
        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(stream.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    try (BufferedReader in = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
      assertThat(in.readLine()).isEqualTo(": connected");
      Pids.kill9(sup.status().child("b").orElseThrow().pid().orElseThrow());
      CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> {
        try {
          String line;
          while ((line = in.readLine()) != null) {
            if (line.startsWith("data: ") && line.contains("\"name\":\"b\"") && line.contains("\"to\":\"RUNNING\"")) {
              return line;
            }
          }
          return null;
        } catch (java.io.IOException e) {
          return null;
        }
      });
      assertThat(seen.get(10, java.util.concurrent.TimeUnit.SECONDS)).contains("\"type\":\"ChildStateChanged\"");
    }
  }

  @Test
  void onANonLoopbackAddressEvenReadsNeedTheTokenAndAnOpenTokenFileIsRefused() throws Exception {
    try (HttpApi wide = HttpApi.start(sup, new InetSocketAddress("0.0.0.0", 0), home.resolve("http.token"))) {
      String url = "http://127.0.0.1:" + wide.address().getPort();
      assertThat(http.send(HttpRequest.newBuilder(URI.create(url + "/api/daemons")).build(), HttpResponse.BodyHandlers.ofString())
          .statusCode()).isEqualTo(401);
      assertThat(http.send(HttpRequest.newBuilder(URI.create(url + "/api/daemons")).header("Authorization", "Bearer " + token).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      assertThat(http.send(HttpRequest.newBuilder(URI.create(url + "/healthz")).build(), HttpResponse.BodyHandlers.ofString())
          .statusCode()).isEqualTo(200);
    }
    Path open = home.resolve("open.token");
    Files.writeString(open, "0123456789abcdef0123456789abcdef");
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> HttpApi.start(sup, new InetSocketAddress("127.0.0.1", 0), open))
        .hasMessage(open + " is rw-r--r--: others could read the operator token; run 'chmod 600 " + open + "'");
  }
}
