package dev.supervisor.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ChildState;
import dev.supervisor.ChildStatus;
import dev.supervisor.HandOver;
import dev.supervisor.HealthCheck;
import dev.supervisor.OrphanPolicy;
import dev.supervisor.Supervisor;
import dev.supervisor.SupervisorState;
import dev.supervisor.event.ChildStateChanged;
import dev.supervisor.event.SupervisorStateChanged;
import dev.supervisor.persist.StateStore;
import dev.supervisor.testsupport.Pids;
import dev.supervisor.testsupport.TestChildren;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link Supervisor#handOver}: a supervisor ends and leaves its children running; the next one on
 * the same home adopts them with their pids, counts and run ids, and nothing restarts.
 */
class HandOverTest extends SupervisorFixture {

  /** Exits 1 on its first run (so it has one restart on the record), then runs until stopped. */
  private Path crashedOnce() throws Exception {
    Path marker = home.resolveSibling(home.getFileName() + "-crashed");
    Files.deleteIfExists(marker);
    return marker;
  }

  private Supervisor startAdopting(Path marker) {
    return start(b -> b.recovery(OrphanPolicy.ADOPT),
        TestChildren.sleeps("a").build(),
        TestChildren.sh("b", "if [ ! -e " + marker + " ]; then touch " + marker + "; exit 1; fi; exec sleep 1000").build(),
        TestChildren.sleeps("probed").readiness(c -> dev.supervisor.HealthResult.ok(), Duration.ofSeconds(10), Duration.ofMillis(50)).build());
  }

  /** SIGTERM before the shell has set its trap would end it at once. */
  private static void trapSet(Supervisor s) {
    Path log = s.logFile("stubborn").orElseThrow();
    await().atMost(WAIT).until(() -> Files.exists(log) && Files.readString(log).contains("started"));
  }

  @Test
  void theNextSupervisorAdoptsEveryChildWithItsPidCountsAndRunIdAndRestartsNothing() throws Exception {
    Path marker = crashedOnce();
    Supervisor first = startAdopting(marker);
    first.awaitHealthy(WAIT);
    await().atMost(WAIT).until(() -> child(first, "b").restarts() == 1 && child(first, "b").state() == ChildState.RUNNING);
    Map<String, ChildStatus> before = new LinkedHashMap<>();
    for (String n : List.of("a", "b", "probed")) {
      before.put(n, child(first, n));
    }
    assertThat(before.get("probed").state()).isEqualTo(ChildState.READY);

    HandOver h = first.handOver(WAIT);

    assertThat(h.running()).containsExactly(Map.entry("a", before.get("a").pid().getAsLong()),
        Map.entry("b", before.get("b").pid().getAsLong()), Map.entry("probed", before.get("probed").pid().getAsLong()));
    assertThat(h.supervisorPid()).isEqualTo(ProcessHandle.current().pid());
    assertThat(first.state()).isEqualTo(SupervisorState.TERMINATED);
    assertThat(eventsOf(SupervisorStateChanged.class).get(eventsOf(SupervisorStateChanged.class).size() - 1).cause())
        .hasValueSatisfying(c -> assertThat(c).startsWith("handed over: 3 children left running"));
    assertThat(h.running().values()).allMatch(Pids::alive);
    assertThat(StateStore.atomicJsonFile(home.resolve("state.json")).load().orElseThrow().handedOverAt()).isPresent();
    assertThat(home.resolve("supervisor.pid")).satisfies(p -> assertThat(dev.supervisor.persist.PidLock.liveOwner(p)).isEmpty());
    first.close(); // a no-op now: it must not stop what it handed over
    assertThat(h.running().values()).allMatch(Pids::alive);

    events.clear();
    // the default policy (KILL) would kill a crashed supervisor's orphans: a hand-over is no crash
    Supervisor second = start(TestChildren.sleeps("a").build(),
        TestChildren.sh("b", "if [ ! -e " + marker + " ]; then touch " + marker + "; exit 1; fi; exec sleep 1000").build(),
        TestChildren.sleeps("probed").readiness(c -> dev.supervisor.HealthResult.ok(), Duration.ofSeconds(10), Duration.ofMillis(50)).build());
    second.awaitHealthy(WAIT);
    for (String n : List.of("a", "b", "probed")) {
      ChildStatus now = child(second, n);
      assertThat(now.pid()).as(n).isEqualTo(before.get(n).pid());
      assertThat(now.restarts()).as(n).isEqualTo(before.get(n).restarts());
      assertThat(now.runId()).as(n).isEqualTo(before.get(n).runId());
    }
    assertThat(child(second, "probed").state()).isEqualTo(ChildState.READY);
    assertThat(eventsOf(ChildStateChanged.class)).filteredOn(e -> e.to() == ChildState.RUNNING)
        .extracting(e -> e.reason().orElse("")).containsOnly("handed over by the previous supervisor").hasSize(3);
    await("the successor's own saves carry no hand-over mark").atMost(WAIT)
        .until(() -> StateStore.atomicJsonFile(home.resolve("state.json")).load().orElseThrow().handedOverAt().isEmpty());

    second.close(); // adopted children stop with their new supervisor
    assertThat(h.running().values()).noneMatch(Pids::alive);
  }

  @Test
  void aSupervisorWhoseChildrenDieWithItRefusesAndChangesNothing() throws Exception {
    Supervisor s = start(TestChildren.sleeps("a").build()); // default: KILL, so a parent-death signal
    s.awaitHealthy(WAIT);
    long pid = pid(s, "a");
    assertThatThrownBy(() -> s.handOver(WAIT)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("a was started with a parent-death signal and would die with this supervisor")
        .hasMessageContaining("recovery(OrphanPolicy.ADOPT)");
    assertThat(s.state()).isEqualTo(SupervisorState.RUNNING);
    assertThat(pid(s, "a")).isEqualTo(pid);
    s.restart("a"); // still supervising
    await().atMost(WAIT).until(() -> pid(s, "a") > 0 && pid(s, "a") != pid);
  }

  @Test
  void aChildThatDiesBetweenTheTwoSupervisorsIsRecordedAsACrashAndRestarted() throws Exception {
    Supervisor first = start(b -> b.recovery(OrphanPolicy.ADOPT), TestChildren.sleeps("a").build());
    first.awaitHealthy(WAIT);
    HandOver h = first.handOver(WAIT);
    long pid = h.running().get("a");
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    await().atMost(WAIT).until(() -> !Pids.alive(pid));

    Supervisor second = start(b -> b.recovery(OrphanPolicy.ADOPT), TestChildren.sleeps("a").build());
    await().atMost(WAIT).until(() -> child(second, "a").state() == ChildState.RUNNING && pid(second, "a") != pid);
    assertThat(child(second, "a").restarts()).isEqualTo(1);
  }

  @Test
  void aStopInProgressFinishesBeforeTheHandOverAndTheChildStaysStopped() throws Exception {
    Supervisor first = start(b -> b.recovery(OrphanPolicy.ADOPT),
        TestChildren.ignoresSigterm("stubborn").stopGrace(Duration.ofMillis(800)).build(), TestChildren.sleeps("a").build());
    first.awaitHealthy(WAIT);
    trapSet(first);
    long stubborn = pid(first, "stubborn");
    first.stop("stubborn");
    await().atMost(WAIT).until(() -> child(first, "stubborn").state() == ChildState.STOPPING);

    HandOver h = first.handOver(WAIT);

    assertThat(h.running()).containsOnlyKeys("a");
    assertThat(Pids.alive(stubborn)).isFalse();
    Supervisor second = start(b -> b.recovery(OrphanPolicy.ADOPT),
        TestChildren.ignoresSigterm("stubborn").stopGrace(Duration.ofMillis(800)).build(), TestChildren.sleeps("a").build());
    await().atMost(WAIT).until(() -> child(second, "a").state() == ChildState.RUNNING);
    assertThat(pid(second, "a")).isEqualTo(h.running().get("a"));
    assertThat(child(second, "stubborn").state()).isEqualTo(ChildState.STOPPED);
  }

  @Test
  void aStopThatOutlastsTheTimeoutHandsNothingOver() throws Exception {
    Supervisor s = start(b -> b.recovery(OrphanPolicy.ADOPT),
        TestChildren.ignoresSigterm("stubborn").stopGrace(Duration.ofSeconds(5)).build());
    s.awaitHealthy(WAIT);
    trapSet(s);
    s.stop("stubborn");
    await().atMost(WAIT).until(() -> child(s, "stubborn").state() == ChildState.STOPPING);
    assertThatThrownBy(() -> s.handOver(Duration.ofMillis(300))).isInstanceOf(java.util.concurrent.TimeoutException.class)
        .hasMessage("cannot hand over: stubborn still STOPPING after 300ms; nothing was handed over");
    assertThat(s.state()).isEqualTo(SupervisorState.RUNNING);
  }
}
