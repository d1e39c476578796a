package dev.supervisor.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.Supervisor;
import dev.supervisor.SupervisorState;
import dev.supervisor.event.ChildStateChanged;
import dev.supervisor.testing.FakeProcessLauncher;
import dev.supervisor.testing.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The supervisor's stop goes by dependency level: a level's children get their stop signal
 * together and are killed together after the grace, and the level they depend on begins only
 * when none of them is left. Every child here ignores SIGTERM, so each level lasts exactly one
 * grace of the manual clock: before, the children stopped one at a time and b and c got nothing
 * while a was stopping.
 */
class ParallelStopTest {
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final Duration GRACE = Duration.ofMinutes(1);
  @TempDir Path home;

  private static ChildSpec child(String name, String... dependsOn) {
    return ChildSpec.builder(name).argv("/opt/" + name).stopGrace(GRACE).dependsOn(dependsOn).build();
  }

  @Test
  void eachDependencyLevelIsSignalledAtOnceAndKilledTogetherDependentsFirst() throws Exception {
    ManualClock clock = ManualClock.start();
    FakeProcessLauncher fake = new FakeProcessLauncher();
    for (String n : List.of("db", "a", "b", "c", "web")) {
      fake.ignoreStopSignal(n);
    }
    List<String> stopping = new CopyOnWriteArrayList<>();
    try (Supervisor s = Supervisor.builder(home).processLauncher(fake).clock(clock).shutdownHook(false)
        .listener(e -> {
          if (e instanceof ChildStateChanged c && c.to() == ChildState.STOPPING) {
            stopping.add(c.name());
          }
        }, Runnable::run)
        .child(child("db")).child(child("a")).child(child("b")).child(child("c")).child(child("web", "db", "a"))
        .build()) {
      s.startAsync().awaitHealthy(WAIT);
      s.stopAsync();

      // level 1: web alone, since it depends on db and a
      await().atMost(WAIT).until(() -> fake.current("web").signals().equals(List.of("TERM")));
      assertThat(List.of("db", "a", "b", "c")).allSatisfy(n -> assertThat(fake.current(n).signals()).as(n).isEmpty());
      clock.advance(GRACE);

      // level 0: db, a, b and c at once, last started first, none waiting for another
      await().atMost(WAIT).until(() -> List.of("db", "a", "b", "c").stream()
          .allMatch(n -> fake.current(n).signals().equals(List.of("TERM"))));
      assertThat(fake.current("web").signals()).containsExactly("TERM", "KILL");
      assertThat(List.of("db", "a", "b", "c")).allSatisfy(n -> assertThat(fake.current(n).isAlive()).as(n).isTrue());
      assertThat(stopping).containsExactly("web", "c", "b", "a", "db");
      clock.advance(GRACE);

      s.awaitStopped(WAIT);
      assertThat(s.state()).isEqualTo(SupervisorState.TERMINATED);
      assertThat(List.of("db", "a", "b", "c")).allSatisfy(n -> assertThat(fake.current(n).signals()).as(n).containsExactly("TERM", "KILL"));
    }
  }
}
