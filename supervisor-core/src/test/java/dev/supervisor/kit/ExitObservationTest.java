package dev.supervisor.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.Backoff;
import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.ExitStatus;
import dev.supervisor.RestartMode;
import dev.supervisor.RestartPolicy;
import dev.supervisor.Supervisor;
import dev.supervisor.testing.FakeProcessLauncher;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExitObservationTest {
  @TempDir Path home;

  @Test
  void anExitThatCouldNotBeObservedIsUnknownNotAMadeUpSigkill() throws Exception {
    FakeProcessLauncher fake = new FakeProcessLauncher();
    ChildSpec db = ChildSpec.builder("db").argv("/opt/db").restartPolicy(RestartPolicy.of(RestartMode.ON_FAILURE,
        Backoff.fixed(Duration.ofMillis(10)))).build();
    try (Supervisor s = Supervisor.builder(home).processLauncher(fake).shutdownHook(false).child(db).build()) {
      s.startAsync().awaitHealthy(Duration.ofSeconds(5));
      fake.current("db").lose("the reaper lost it");
      await().until(() -> fake.launches("db") == 2 && s.status().child("db").get().state() == ChildState.RUNNING);
      ExitStatus last = s.status().child("db").get().lastExit().orElseThrow();
      // it was recorded as exit value 137, i.e. "signal KILL"
      assertThat(last.kind()).isEqualTo(ExitStatus.Kind.UNKNOWN);
      assertThat(last.reason()).hasValue("its exit could not be observed: the reaper lost it");
      assertThat(last.signal()).isEmpty();
    }
  }
}
