package dev.supervisor.examples.http;

import static dev.supervisor.testsupport.TestChildren.sleeps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.supervisor.HealthResult;
import dev.supervisor.Supervisor;
import dev.supervisor.examples.tools.Jsons;
import dev.supervisor.testsupport.Pids;
import dev.supervisor.testsupport.ProcessLeakGuard;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP API against real processes: {@code /readyz} follows a child's readiness probe (503
 * with the reason until it passes, 200 after), and POST stop and start with the token really
 * stop the child's process and start a new one.
 */
@ExtendWith(ProcessLeakGuard.class)
class HttpE2ETest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  @TempDir Path home;
  private Path flag;
  private Supervisor sup;
  private HttpApi api;
  private String base;
  private String token;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() throws Exception {
    flag = home.resolve("ready.flag");
    // 'web' is READY once the flag file exists; 'worker' has no probe
    sup = Supervisor.builder(home).shutdownHook(false)
        .child(sleeps("web").readiness(c -> Files.exists(flag) ? HealthResult.ok() : HealthResult.unhealthy("no " + flag.getFileName()),
            Duration.ofMinutes(5), Duration.ofMillis(50)).build())
        .child(sleeps("worker").build())
        .build();
    sup.startAsync();
    api = HttpApi.start(sup, new InetSocketAddress("127.0.0.1", 0), home.resolve("http.token"));
    base = "http://127.0.0.1:" + api.address().getPort();
    token = Files.readString(home.resolve("http.token")).trim();
  }

  @AfterEach
  void stop() {
    api.close();
    sup.close();
  }

  private HttpResponse<String> get(String path, boolean withToken) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(WAIT);
    if (withToken) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(WAIT).header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    return Jsons.MAPPER.readTree(r.body());
  }

  /** The child as the API shows it. */
  private JsonNode daemon(String name) throws Exception {
    HttpResponse<String> r = get("/api/daemons/" + name, true);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json(r);
  }

  private long pid(String name) throws Exception {
    JsonNode pid = daemon(name).path("pid");
    return pid.isNumber() ? pid.asLong() : -1;
  }

  @Test
  void readyzIs503WhileAChildIsNotReadyAnd200OnceItIs() throws Exception {
    await().atMost(WAIT).until(() -> daemon("web").path("state").asText().equals("RUNNING") && pid("web") > 0);
    assertThat(Pids.alive(pid("web"))).isTrue();
    HttpResponse<String> notReady = get("/readyz", false);
    assertThat(notReady.statusCode()).as(notReady.body()).isEqualTo(503);
    assertThat(json(notReady).path("status").asText()).isEqualTo("not ready");
    assertThat(json(notReady).path("reason").asText()).contains("web RUNNING").doesNotContain("worker");
    assertThat(get("/healthz", false).statusCode()).as("alive all the same").isEqualTo(200);

    Files.createFile(flag);
    await().atMost(WAIT).until(() -> get("/readyz", false).statusCode() == 200);
    assertThat(json(get("/readyz", false)).path("status").asText()).isEqualTo("ready");
    await().atMost(WAIT).until(() -> daemon("web").path("state").asText().equals("READY")); // /api/daemons caches the status for up to 200 ms
  }

  @Test
  void postStopThenStartStopsTheRealProcessAndStartsANewOne() throws Exception {
    Files.createFile(flag);
    await().atMost(WAIT).until(() -> get("/readyz", false).statusCode() == 200);
    long before = pid("worker");
    assertThat(before).isPositive();
    assertThat(Pids.alive(before)).isTrue();

    HttpResponse<String> stopped = post("/api/daemons/worker/stop");
    assertThat(stopped.statusCode()).as(stopped.body()).isEqualTo(202);
    await().atMost(WAIT).until(() -> !Pids.alive(before) && daemon("worker").path("state").asText().equals("STOPPED"));
    assertThat(daemon("worker").path("pid").isNull()).as(daemon("worker").toString()).isTrue();
    assertThat(Pids.alive(pid("web"))).as("the other child is untouched").isTrue();
    assertThat(get("/readyz", false).statusCode()).as("a child stopped by an operator is settled").isEqualTo(200);

    HttpResponse<String> started = post("/api/daemons/worker/start");
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    await().atMost(WAIT).until(() -> daemon("worker").path("state").asText().equals("RUNNING") && pid("worker") > 0);
    long after = pid("worker");
    assertThat(after).isNotEqualTo(before);
    assertThat(Pids.alive(after)).isTrue();
    assertThat(new String(Files.readAllBytes(Path.of("/proc", Long.toString(after), "cmdline")))).contains("sleep");
  }
}
