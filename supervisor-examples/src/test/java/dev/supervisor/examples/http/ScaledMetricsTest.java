package dev.supervisor.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.supervisor.Backoff;
import dev.supervisor.ChildSpec;
import dev.supervisor.RestartMode;
import dev.supervisor.RestartPolicy;
import dev.supervisor.Supervisor;
import dev.supervisor.examples.tools.Jsons;
import dev.supervisor.testing.FakeProcessLauncher;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An instance added by scale() after the API started has its restarts counted and its meters in /metrics. */
class ScaledMetricsTest {
  @TempDir Path home;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aScaledUpInstanceIsCountedAndMetered() throws Exception {
    FakeProcessLauncher fake = new FakeProcessLauncher();
    ChildSpec web = ChildSpec.builder("web").argv("/opt/web").instances(1)
        .restartPolicy(RestartPolicy.of(RestartMode.ON_FAILURE, Backoff.fixed(Duration.ofMillis(10)))).build();
    try (Supervisor sup = Supervisor.builder(home).processLauncher(fake).shutdownHook(false).child(web).build()) {
      sup.startAsync().awaitHealthy(Duration.ofSeconds(5));
      HttpApi api = HttpApi.start(sup, new InetSocketAddress("127.0.0.1", 0), home.resolve("http.token"));
      try {
        String token = Files.readString(home.resolve("http.token")).trim();
        String base = "http://127.0.0.1:" + api.address().getPort();
        sup.scale("web", 2);
        String added = sup.children().get(1).name();
        await().until(() -> fake.launches(added) == 1);
        fake.current(added).exit(1); // its restart threw a NullPointerException in the API's listener
        await().until(() -> fake.launches(added) == 2);
        HttpResponse<String> daemons = http.send(HttpRequest.newBuilder(URI.create(base + "/api/daemons"))
            .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        int counted = 0;
        for (JsonNode c : Jsons.MAPPER.readTree(daemons.body()).path("children")) {
          if (c.path("name").asText().equals(added)) {
            for (JsonNode b : c.path("restartsPerMinute")) {
              counted += b.asInt();
            }
          }
        }
        assertThat(counted).isEqualTo(1);
        String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).header("Authorization", "Bearer " + token)
            .build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("supervisor_child_restarts_total{child=\"" + added + "\"} 1.0")
            .contains("supervisor_child_up{child=\"" + added + "\"} 1.0");
        sup.scale("web", 1);
        await().until(() -> sup.children().size() == 1);
        String after = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).header("Authorization", "Bearer " + token)
            .build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(after).doesNotContain("child=\"" + added + "\"");
      } finally {
        api.close();
      }
    }
  }
}
