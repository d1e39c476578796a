package dev.supervisor.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.ChildStatus;
import dev.supervisor.StormBreaker;
import dev.supervisor.Supervisor;
import dev.supervisor.event.StormBreakerTripped;
import dev.supervisor.event.SupervisorEvent;
import dev.supervisor.persist.PersistedState;
import dev.supervisor.persist.ProcessSignature;
import dev.supervisor.persist.StateStore;
import dev.supervisor.testsupport.Pids;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.SupervisorMain;
import dev.supervisor.testsupport.TestChildren;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Crashes found by crash recovery do not count" (StormBreaker), end to end: a supervisor JVM
 * with three children is SIGKILLed, its children die with it (parent-death signal), and the next
 * supervisor, whose breaker trips at two crashed children, finds three dead children. They are
 * restarted, the breaker stays closed. Two real crashes afterwards do trip it, so the thresholds
 * were low enough for the recovered ones to trip it had they been counted.
 */
@ExtendWith(ProcessLeakGuard.class)
class StormBreakerRecoveryE2ETest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final List<String> NAMES = List.of("a", "b", "c");
  @TempDir Path dir;
  private Process first;
  private Supervisor second;
  private final ConcurrentLinkedQueue<SupervisorEvent> events = new ConcurrentLinkedQueue<>();

  @AfterEach
  void stop() throws Exception {
    if (second != null) {
      second.close();
    }
    if (first != null && first.isAlive()) {
      first.destroyForcibly();
      first.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** A supervisor JVM (SupervisorMain) on {@code home}, marked, its output in first-jvm.log. */
  private Process launch(Path home, String... children) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(dev.supervisor.testsupport.TestProcesses.java("-Xmx64m", "-XX:TieredStopAtLevel=1",
        SupervisorMain.class.getName(), home.toString()));
    cmd.addAll(List.of(children));
    return dev.supervisor.testsupport.TestProcesses.builder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve("first-jvm.log").toFile()).start();
  }

  private static PersistedState state(Path home) throws Exception {
    return StateStore.atomicJsonFile(home.resolve("state.json")).load().orElseThrow();
  }

  private List<StormBreakerTripped> trips() {
    return events.stream().filter(StormBreakerTripped.class::isInstance).map(StormBreakerTripped.class::cast).toList();
  }

  @Test
  void deathsFoundByRecoveryDoNotTripTheBreakerButCrashesAfterwardsDo() throws Exception {
    Path home = Files.createDirectories(dir.resolve("home"));
    String[] children = NAMES.stream().map(n -> n + "=exec sleep 1000").toArray(String[]::new);
    first = launch(home, children);
    await().atMost(WAIT).until(() -> Files.exists(home.resolve("ready")) || !first.isAlive());
    assertThat(first.isAlive()).as("first supervisor JVM is up").isTrue();
    await().atMost(WAIT).until(() -> {
      PersistedState s = state(home);
      return s.supervisor().map(ProcessSignature::pid).orElse(-1L) == first.pid() && s.children().size() == NAMES.size()
          && s.children().stream().allMatch(c -> c.state().equals("RUNNING") && c.process().isPresent());
    });
    Map<String, Long> before = state(home).children().stream()
        .collect(Collectors.toMap(PersistedState.Child::name, c -> c.process().get().pid()));

    first.destroyForcibly(); // SIGKILL
    assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
    await().atMost(WAIT).until(() -> before.values().stream().noneMatch(Pids::alive));

    // the next supervisor, in this JVM: a breaker that trips at 2 crashed children within a minute, probe 2 min (longer than any wait here)
    Supervisor.Builder b = Supervisor.builder(home).shutdownHook(false).listener(events::add, Runnable::run)
        .stormBreaker(StormBreaker.of(2, Duration.ofMinutes(1), Duration.ofMinutes(2)));
    for (String n : NAMES) {
      b.child(ChildSpec.builder(n).argv("sh", "-c", "exec sleep 1000").env(ProcessLeakGuard.MARK_VAR, ProcessLeakGuard.mark())
          .restartPolicy(TestChildren.fast()).stopGrace(Duration.ofMillis(500)).build());
    }
    second = b.build();
    second.startAsync();
    await("all three RUNNING again, none held by the storm breaker").atMost(WAIT)
        .until(() -> second.status().children().stream().allMatch(c -> c.state() == ChildState.RUNNING));

    for (ChildStatus c : second.status().children()) {
      assertThat(c.lastExit().orElseThrow().toString()).as("%s died while no supervisor watched", c.name())
          .isEqualTo("unknown exit (exited while the supervisor was down)");
      assertThat(c.restarts()).as("%s: recovery restarted it", c.name()).isEqualTo(1);
      assertThat(before.values()).doesNotContain(c.pid().orElseThrow());
    }
    assertThat(second.status().breaker().open()).as("three deaths found by recovery, threshold 2").isFalse();
    assertThat(second.status().breaker().held()).isEmpty();
    assertThat(trips()).isEmpty();

    // the control: two crashes now trip it
    Pids.kill9(second.status().child("a").orElseThrow().pid().orElseThrow());
    Pids.kill9(second.status().child("b").orElseThrow().pid().orElseThrow());
    await().atMost(WAIT).until(() -> second.status().breaker().open());
    assertThat(trips()).singleElement().satisfies(t -> assertThat(t.crashed()).containsExactly("a", "b"));
  }
}
