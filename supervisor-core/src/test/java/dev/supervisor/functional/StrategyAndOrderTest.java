package dev.supervisor.functional;

import static dev.supervisor.testsupport.TestChildren.sleeps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.Strategy;
import dev.supervisor.Supervisor;
import dev.supervisor.event.ChildStateChanged;
import dev.supervisor.testsupport.Pids;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class StrategyAndOrderTest extends SupervisorFixture {

  private Map<String, Long> pids(Supervisor s) {
    return s.status().children().stream().collect(Collectors.toMap(c -> c.name(), c -> c.pid().orElse(-1)));
  }

  private Map<String, Long> killMiddleAndWaitForAll(Supervisor s) throws Exception {
    s.awaitHealthy(WAIT);
    Map<String, Long> before = pids(s);
    Pids.kill9(before.get("b"));
    await().atMost(WAIT).until(() -> pid(s, "b") != before.get("b") && child(s, "b").state() == ChildState.RUNNING);
    s.awaitHealthy(WAIT);
    return before;
  }

  private Supervisor threeChildren(Strategy strategy) {
    return start(b -> b.strategy(strategy), sleeps("a").build(), sleeps("b").build(), sleeps("c").build());
  }

  @Test
  void oneForOneRestartsOnlyTheChildThatDied() throws Exception {
    Supervisor s = threeChildren(Strategy.ONE_FOR_ONE);
    Map<String, Long> before = killMiddleAndWaitForAll(s);
    Map<String, Long> after = pids(s);
    assertThat(after.get("a")).isEqualTo(before.get("a"));
    assertThat(after.get("c")).isEqualTo(before.get("c"));
    assertThat(child(s, "b").restarts()).isEqualTo(1);
  }

  @Test
  void oneForAllRestartsEveryChild() throws Exception {
    Supervisor s = threeChildren(Strategy.ONE_FOR_ALL);
    Map<String, Long> before = killMiddleAndWaitForAll(s);
    await().atMost(WAIT).until(() -> {
      Map<String, Long> now = pids(s);
      return List.of("a", "b", "c").stream().allMatch(n -> now.get(n) != -1 && !now.get(n).equals(before.get(n)));
    });
    assertThat(before.values()).noneMatch(Pids::alive);
    assertThat(s.status().children()).allSatisfy(c -> assertThat(c.restarts()).isEqualTo(1));
  }

  @Test
  void restForOneRestartsTheChildAndThoseStartedAfterIt() throws Exception {
    Supervisor s = threeChildren(Strategy.REST_FOR_ONE);
    Map<String, Long> before = killMiddleAndWaitForAll(s);
    await().atMost(WAIT).until(() -> pid(s, "c") != -1 && pid(s, "c") != before.get("c"));
    assertThat(pid(s, "a")).isEqualTo(before.get("a"));
    assertThat(Pids.alive(before.get("c"))).isFalse();
  }

  @Test
  void startsInDependencyThenDeclarationOrderAndStopsInReverse() throws Exception {
    Supervisor s = start(
        sleeps("web").dependsOn("db").build(),
        sleeps("db").build(),
        sleeps("cache").build());
    s.awaitHealthy(WAIT);
    assertThat(s.children()).extracting(ChildSpec::name).containsExactly("db", "web", "cache");
    s.stopAsync().awaitStopped(WAIT);
    assertThat(transitionsTo(ChildState.RUNNING)).containsExactly("db", "web", "cache");
    // by dependency level: web (it depends on db) first, alone; then db and cache together, last started first
    assertThat(transitionsTo(ChildState.STOPPING)).containsExactly("web", "cache", "db");
    List<String> stopped = transitionsTo(ChildState.STOPPED);
    assertThat(stopped.get(0)).isEqualTo("web");
    assertThat(stopped).containsExactlyInAnyOrder("web", "cache", "db");
  }

  private List<String> transitionsTo(ChildState state) {
    return eventsOf(ChildStateChanged.class).stream().filter(e -> e.to() == state).map(ChildStateChanged::name).toList();
  }

  @Test
  void unknownDependencyAndCyclesAreRejectedWhenBuilt() {
    Function<ChildSpec[], Supervisor> build = specs -> {
      Supervisor.Builder b = Supervisor.builder(home);
      for (ChildSpec c : specs) {
        b.child(c);
      }
      return b.build();
    };
    assertThatThrownBy(() -> build.apply(new ChildSpec[] {sleeps("a").dependsOn("ghost").build()}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("child 'a' depends on unknown child 'ghost'; known: [a]");
    assertThatThrownBy(() -> build.apply(new ChildSpec[] {
        sleeps("a").dependsOn("c").build(), sleeps("b").dependsOn("a").build(), sleeps("c").dependsOn("b").build()}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("dependency cycle: a -> c -> b -> a");
    assertThatThrownBy(() -> build.apply(new ChildSpec[] {sleeps("a").build(), sleeps("a").build()}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("duplicate child name 'a': names must be unique");
  }

  @Test
  void aDependentWaitsForItsDependencyToBeReady() throws Exception {
    java.nio.file.Path ready = home.resolve("db-ready");
    Supervisor s = start(
        sleeps("db").readiness(v -> java.nio.file.Files.exists(ready)
            ? dev.supervisor.HealthResult.ok() : dev.supervisor.HealthResult.unhealthy("no file"), WAIT).build(),
        sleeps("web").dependsOn("db").build());
    await().atMost(WAIT).until(() -> child(s, "db").state() == ChildState.RUNNING);
    await().during(java.time.Duration.ofMillis(300)).atMost(WAIT).until(() -> child(s, "web").state() == ChildState.STARTING);
    assertThat(child(s, "web").reason()).contains("waiting for db (RUNNING)");
    java.nio.file.Files.createFile(ready);
    s.awaitHealthy(WAIT);
    assertThat(child(s, "db").state()).isEqualTo(ChildState.READY);
    assertThat(child(s, "web").state()).isEqualTo(ChildState.RUNNING);
  }
}
