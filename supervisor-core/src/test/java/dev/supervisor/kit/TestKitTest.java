package dev.supervisor.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.Backoff;
import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.RestartDecision;
import dev.supervisor.RestartMode;
import dev.supervisor.RestartPolicy;
import dev.supervisor.Strategy;
import dev.supervisor.Supervisor;
import dev.supervisor.testing.FakeProcessLauncher;
import dev.supervisor.testing.ManualClock;
import dev.supervisor.testing.PolicyScenario;
import dev.supervisor.event.ChildStateChanged;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The public test kit, used as a user would: no process is spawned here. */
class TestKitTest {
  @TempDir Path home;
  private static final dev.supervisor.StandardRestartPolicy FAST = RestartPolicy.of(RestartMode.ON_FAILURE, Backoff.fixed(Duration.ofMillis(10)));

  private static ChildSpec child(String name, String... deps) {
    return ChildSpec.builder(name).argv("/opt/app/" + name).restartPolicy(FAST.giveUpAfter(3, Duration.ofMinutes(1)))
        .dependsOn(deps).build();
  }

  /** As the README's example, with a fast policy. */
  @Test
  void aCrashedDatabaseIsRestartedWithoutSpawningAnything() throws Exception {
    FakeProcessLauncher fake = new FakeProcessLauncher();
    try (Supervisor s = Supervisor.builder(home).processLauncher(fake).shutdownHook(false)
        .child(child("db")).child(child("web", "db")).build()) {
      s.startAsync().awaitHealthy(Duration.ofSeconds(5));
      fake.current("db").exit(3);                                   // the database crashes
      await().until(() -> fake.launches("db") == 2 && s.status().child("db").get().state() == ChildState.RUNNING);
      assertThat(s.status().child("db").get().restarts()).isEqualTo(1);
      assertThat(fake.launches("web")).isEqualTo(1);                // ONE_FOR_ONE: web untouched
    }
  }

  @Test
  void oneForAllRestartsTheSiblingsWithTheirStopSignalAndStopsInReverseOrder() throws Exception {
    FakeProcessLauncher fake = new FakeProcessLauncher();
    List<String> stopping = new CopyOnWriteArrayList<>(); // names, in the order the supervisor began to stop them
    Supervisor s = Supervisor.builder(home).processLauncher(fake).shutdownHook(false).strategy(Strategy.ONE_FOR_ALL)
        .listener(e -> {
          if (e instanceof ChildStateChanged c && c.to() == ChildState.STOPPING) {
            stopping.add(c.name());
          }
        }, Runnable::run)
        .child(child("a")).child(child("b")).child(child("c")).build();
    s.startAsync().awaitHealthy(Duration.ofSeconds(5));
    FakeProcessLauncher.FakeProcess b = fake.current("b");
    fake.current("a").die("SEGV");
    await().until(() -> fake.launches("a") == 2 && fake.launches("b") == 2 && fake.launches("c") == 2);
    assertThat(b.signals()).containsExactly("TERM");
    assertThat(b.exitStatus().orElseThrow().requested()).isFalse(); // its own exit; the supervisor marks the stop as requested
    await().until(() -> s.status().children().stream().allMatch(c -> c.state() == ChildState.RUNNING));
    stopping.clear();
    s.close();
    assertThat(stopping).as("children stop in reverse start order").containsExactly("c", "b", "a");
    assertThat(fake.current("c").signals()).containsExactly("TERM");
    assertThat(fake.processes("a")).noneMatch(FakeProcessLauncher.FakeProcess::isAlive);
  }

  @Test
  void aProcessIgnoringTermIsKilledAfterTheGraceAndAStartFailureCountsAsACrash() throws Exception {
    FakeProcessLauncher fake = new FakeProcessLauncher().ignoreStopSignal("stubborn").failStarts("broken", "executable missing");
    Supervisor s = Supervisor.builder(home).processLauncher(fake).shutdownHook(false)
        .child(ChildSpec.builder("stubborn").argv("x").stopGrace(Duration.ofMillis(100)).build())
        .child(child("broken")).build();
    s.startAsync();
    await().until(() -> s.status().child("broken").get().state() == ChildState.FATAL);
    assertThat(s.status().child("broken").get().lastExit().orElseThrow().reason()).hasValue("executable missing");
    s.stop("stubborn");
    await().until(() -> s.status().child("stubborn").get().state() == ChildState.STOPPED);
    assertThat(fake.current("stubborn").signals()).containsExactly("TERM", "KILL");
    s.close();
  }

  @Test
  void aManualClockDrivesTheTimesTheSupervisorReports() throws Exception {
    ManualClock clock = ManualClock.start();
    FakeProcessLauncher fake = new FakeProcessLauncher();
    try (Supervisor s = Supervisor.builder(home).processLauncher(fake).clock(clock).shutdownHook(false).child(child("a")).build()) {
      s.startAsync().awaitHealthy(Duration.ofSeconds(5));
      clock.advance(Duration.ofHours(2));
      assertThat(s.status().child("a").get().uptime()).hasValue(Duration.ofHours(2));
      assertThat(s.status().takenAt()).isEqualTo(clock.instant());
    }
  }

  @Test
  void policyScenarioWalksAPolicyDecisionByDecision() {
    PolicyScenario p = PolicyScenario.of(RestartPolicy.standard());
    assertThat(p.crash().delay()).hasValue(Duration.ofSeconds(1));
    assertThat(p.crash().delay()).hasValue(Duration.ofSeconds(2));
    assertThat(p.crashAfter(Duration.ofMinutes(5)).delay()).as("a long run resets the backoff").hasValue(Duration.ofSeconds(1));
    for (int i = 0; i < 4; i++) { // restarts at 303 s, 304 s, 306 s, 310 s, 318 s: five within 60 s
      assertThat(p.crash().action()).isEqualTo(RestartDecision.Action.RESTART);
    }
    assertThat(p.crash().action()).isEqualTo(RestartDecision.Action.GIVE_UP);
    assertThat(p.operatorRestart().crash().delay()).hasValue(Duration.ofSeconds(1));
  }
}
