package dev.supervisor.ipc.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.supervisor.ChildSpec;
import dev.supervisor.Supervisor;
import dev.supervisor.testing.FakeProcessLauncher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** inspect shows the environment the child gets: from the supervisor's host environment, not the JVM's own. */
class InspectEnvironmentTest {
  @TempDir Path home;

  @Test
  void inspectShowsTheHostEnvironmentTheChildInherits() throws Exception {
    ChildSpec app = ChildSpec.builder("app").argv("/opt/app").env("OWN", "1").build();
    try (Supervisor sup = Supervisor.builder(home).shutdownHook(false).processLauncher(new FakeProcessLauncher())
        .hostEnvironment(Map.of("PATH", "/host/bin", "LANG", "C.UTF-8")).child(app).build();
        ControlServer server = ControlServer.serve(sup.startAsync(), ControlServer.socketOf(home), Roles.ownerOnly())) {
      sup.awaitHealthy(Duration.ofSeconds(5));
      JsonNode env = ControlClient.of(server.socket()).inspect("app").path("env");
      // it showed this JVM's PATH (and HOME, and the rest of its environment)
      assertThat(env.path("PATH").asText()).isEqualTo("/host/bin");
      assertThat(env.path("LANG").asText()).isEqualTo("C.UTF-8");
      assertThat(env.path("OWN").asText()).isEqualTo("1");
      assertThat(env.has("HOME")).as("HOME is not in the host environment given").isFalse();
    }
  }
}
