package dev.supervisor.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.Backoff;
import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.ChildStatus;
import dev.supervisor.HandOver;
import dev.supervisor.OrphanPolicy;
import dev.supervisor.RestartMode;
import dev.supervisor.RestartPolicy;
import dev.supervisor.Supervisor;
import dev.supervisor.testing.FakeProcessLauncher;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery through the launcher's adopt seam: the test kit's fake processes are saved, found
 * again and adopted by the next supervisor on the home, with no real process anywhere.
 */
class FakeRecoveryTest {
  private static final Duration WAIT = Duration.ofSeconds(5);
  @TempDir Path home;

  private Supervisor.Builder supervisor(FakeProcessLauncher fake) {
    return Supervisor.builder(home).processLauncher(fake).shutdownHook(false).recovery(OrphanPolicy.ADOPT)
        .child(ChildSpec.builder("worker").argv("/opt/worker")
            .restartPolicy(RestartPolicy.of(RestartMode.ON_FAILURE, Backoff.fixed(Duration.ofMillis(10)))).build());
  }

  private static ChildStatus worker(Supervisor s) {
    return s.status().child("worker").orElseThrow();
  }

  @Test
  void aHandedOverFakeIsAdoptedWithItsPidAndItsExitIsSeenByTheSuccessor() throws Exception {
    FakeProcessLauncher fake = new FakeProcessLauncher();
    Supervisor first = supervisor(fake).build();
    first.startAsync().awaitHealthy(WAIT);
    long pid = fake.current("worker").pid();
    HandOver h = first.handOver(WAIT);
    assertThat(h.running()).containsEntry("worker", pid);

    try (Supervisor second = supervisor(fake).build()) {
      second.startAsync().awaitHealthy(WAIT);
      assertThat(fake.launches("worker")).as("adopted, not started again").isEqualTo(1);
      assertThat(fake.current("worker").adoptions()).isEqualTo(1);
      assertThat(worker(second).pid()).hasValue(pid);
      assertThat(worker(second).restarts()).isZero();

      fake.current("worker").exit(3); // the adopted process crashes: the successor sees it and restarts it
      await().atMost(WAIT).until(() -> fake.launches("worker") == 2 && worker(second).state() == ChildState.RUNNING);
      assertThat(worker(second).restarts()).isEqualTo(1);
      assertThat(worker(second).lastExit().orElseThrow().code()).hasValue(3);
    }
  }

  @Test
  void aFakeThatDiedWhileNoSupervisorWatchedIsACrashAndStartsAgain() throws Exception {
    FakeProcessLauncher fake = new FakeProcessLauncher();
    Supervisor first = supervisor(fake).build();
    first.startAsync().awaitHealthy(WAIT);
    first.handOver(WAIT);
    fake.current("worker").exit(1); // between the two supervisors

    try (Supervisor second = supervisor(fake).build()) {
      second.startAsync();
      await().atMost(WAIT).until(() -> fake.launches("worker") == 2 && worker(second).state() == ChildState.RUNNING);
      assertThat(fake.current("worker").adoptions()).isZero();
      assertThat(worker(second).restarts()).as("recorded as a crash, restarted by its policy").isEqualTo(1);
    }
  }
}
