package dev.supervisor.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.supervisor.Backoff;
import dev.supervisor.ChildSpec;
import dev.supervisor.RestartMode;
import dev.supervisor.RestartPolicy;
import dev.supervisor.Supervisor;
import dev.supervisor.testing.FakeProcessLauncher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rolling restarts on fake processes: order, waiting, and stopping at the first child that does not come back. */
class RollingRestartTest {
  @TempDir Path home;

  private Supervisor start(FakeProcessLauncher fake) throws Exception {
    Supervisor.Builder b = Supervisor.builder(home).processLauncher(fake).shutdownHook(false);
    for (String n : new String[] {"a", "b", "c"}) {
      b.child(ChildSpec.builder(n).argv(n).restartPolicy(RestartPolicy.of(RestartMode.ON_FAILURE, Backoff.fixed(Duration.ofMillis(10)))
          .giveUpAfter(2, Duration.ofMinutes(1))).build());
    }
    Supervisor s = b.build();
    s.startAsync().awaitHealthy(Duration.ofSeconds(5));
    return s;
  }

  @Test
  void restartsEachChildInStartOrderOnlyAfterThePreviousIsBack() throws Exception {
    FakeProcessLauncher fake = new FakeProcessLauncher();
    try (Supervisor s = start(fake)) {
      assertThat(s.rollingRestart(Duration.ofSeconds(5))).containsExactly("a", "b", "c");
      long a = fake.current("a").pid();
      long b = fake.current("b").pid();
      long c = fake.current("c").pid();
      assertThat(a).isLessThan(b);
      assertThat(b).isLessThan(c);
      assertThat(fake.processes("a").get(0).signals()).containsExactly("TERM");
      assertThat(s.status().children()).allSatisfy(ch -> assertThat(ch.restarts()).isZero()); // operator restarts are not counted
    }
  }

  @Test
  void stopsWithAClearErrorAtTheFirstChildThatDoesNotComeBackAndLeavesTheRest() throws Exception {
    FakeProcessLauncher fake = new FakeProcessLauncher();
    try (Supervisor s = start(fake)) {
      fake.failStarts("b", "executable 'b' does not exist");
      assertThatThrownBy(() -> s.rollingRestart(Duration.ofSeconds(5)))
          .isInstanceOf(TimeoutException.class)
          .hasMessageStartingWith("rolling restart stopped at 'b': it did not come back RUNNING within 5s (it is FATAL")
          .hasMessageEndingWith("; restarted: a; untouched: c");
      assertThat(fake.launches("a")).isEqualTo(2);
      assertThat(fake.launches("c")).as("c untouched").isEqualTo(1);
      assertThat(fake.current("c").isAlive()).isTrue();
    }
  }
}
