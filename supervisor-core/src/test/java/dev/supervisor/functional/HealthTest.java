package dev.supervisor.functional;

import static dev.supervisor.testsupport.TestChildren.sleeps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ChildState;
import dev.supervisor.HealthResult;
import dev.supervisor.Supervisor;
import dev.supervisor.event.HealthCheckFailed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class HealthTest extends SupervisorFixture {

  @Test
  void aChildThatStopsAnsweringIsRestartedAsACrash() throws Exception {
    Path sick = home.resolve("sick");
    Supervisor s = start(sleeps("svc")
        .healthCheck(v -> Files.exists(sick) ? HealthResult.unhealthy("marked sick") : HealthResult.ok(),
            Duration.ofMillis(50), 3, Duration.ZERO)
        .build());
    s.awaitHealthy(WAIT);
    long first = pid(s, "svc");
    Files.createFile(sick);
    await().atMost(WAIT).until(() -> child(s, "svc").restarts() >= 1);
    Files.delete(sick);
    await().atMost(WAIT).until(() -> child(s, "svc").state() == ChildState.RUNNING && pid(s, "svc") != first);
    assertThat(eventsOf(HealthCheckFailed.class)).extracting(HealthCheckFailed::consecutive).startsWith(1, 2, 3);
    assertThat(child(s, "svc").lastExit().orElseThrow().reason()).contains("health check failed 3 times: marked sick");
    assertThat(child(s, "svc").lastExit().orElseThrow().isFailure()).isTrue();
  }

  @Test
  void aChildThatNeverBecomesReadyIsKilledAfterTheReadinessTimeout() {
    Supervisor s = start(sleeps("neverready")
        .readiness(v -> HealthResult.unhealthy("still warming up"), Duration.ofMillis(300), Duration.ofMillis(50))
        .build());
    await().atMost(WAIT).until(() -> child(s, "neverready").restarts() >= 1);
    assertThat(child(s, "neverready").lastExit().orElseThrow().reason())
        .contains("not ready within 300ms: still warming up");
  }

  @Test
  void aThrowingCheckCountsAsAFailureAndDoesNotHurtTheSupervisor() throws Exception {
    Supervisor s = start(sleeps("svc")
        .healthCheck(v -> { throw new IllegalStateException("probe exploded"); }, Duration.ofMillis(50), 2, Duration.ZERO)
        .build());
    await().atMost(WAIT).until(() -> child(s, "svc").restarts() >= 1);
    assertThat(eventsOf(HealthCheckFailed.class).get(0).message()).isEqualTo("IllegalStateException: probe exploded");
    assertThat(s.state()).isEqualTo(dev.supervisor.SupervisorState.RUNNING);
  }
}
