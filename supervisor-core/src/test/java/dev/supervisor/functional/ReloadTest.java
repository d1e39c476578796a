package dev.supervisor.functional;

import static dev.supervisor.testsupport.TestChildren.sh;
import static dev.supervisor.testsupport.TestChildren.sleeps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.ConfigException;
import dev.supervisor.ReloadResult;
import dev.supervisor.Supervisor;
import dev.supervisor.SupervisorConfig;
import dev.supervisor.SupervisorState;
import dev.supervisor.event.ConfigReloadFailed;
import dev.supervisor.event.ConfigReloaded;
import dev.supervisor.testsupport.Pids;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReloadTest extends SupervisorFixture {

  /** Crashes on its first run (so its restart count is 1), then runs until stopped. */
  private ChildSpec keep() {
    Path marker = home.resolve("keep.crashed");
    return sh("keep", "if [ ! -f " + marker + " ]; then touch " + marker + "; exit 1; fi; exec sleep 1000").build();
  }

  @Test
  void appliesOnlyTheDifference() throws Exception {
    ChildSpec keep = keep();
    ChildSpec gone = sleeps("gone").build();
    ChildSpec changed = sh("changed", "exec sleep 1000").build();
    Supervisor s = start(keep, gone, changed);
    await().atMost(WAIT).until(() -> child(s, "keep").restarts() == 1 && child(s, "keep").state() == ChildState.RUNNING
        && child(s, "gone").state() == ChildState.RUNNING && child(s, "changed").state() == ChildState.RUNNING);
    long keepPid = pid(s, "keep");
    long gonePid = pid(s, "gone");
    long changedPid = pid(s, "changed");

    ReloadResult r = s.reload(List.of(keep(), sh("changed", "exec sleep 999").build(), sleeps("fresh").dependsOn("keep").build()), WAIT);

    assertThat(r.added()).containsExactly("fresh");
    assertThat(r.removed()).containsExactly("gone");
    assertThat(r.restarted()).containsExactly("changed");
    assertThat(r.unchanged()).containsExactly("keep");
    assertThat(pid(s, "keep")).isEqualTo(keepPid);
    assertThat(child(s, "keep").restarts()).isEqualTo(1);
    assertThat(child(s, "changed").state()).isEqualTo(ChildState.RUNNING);
    assertThat(pid(s, "changed")).isPositive().isNotEqualTo(changedPid);
    assertThat(Pids.alive(changedPid)).isFalse();
    assertThat(s.status().child("gone")).isEmpty();
    assertThat(Pids.alive(gonePid)).isFalse();
    await().atMost(WAIT).until(() -> s.status().child("fresh").map(c -> c.state() == ChildState.RUNNING).orElse(false));
    assertThat(s.children()).extracting(ChildSpec::name).containsExactly("keep", "changed", "fresh");
    assertThat(s.children().get(1).argv()).containsExactly("sh", "-c", "exec sleep 999");
    assertThat(s.state()).isEqualTo(SupervisorState.RUNNING);
    await().atMost(WAIT).until(() -> !eventsOf(ConfigReloaded.class).isEmpty());
    assertThat(eventsOf(ConfigReloaded.class).get(0).removed()).containsExactly("gone");

    // the same set again: nothing to do
    ReloadResult again = s.reload(s.children(), WAIT);
    assertThat(again.nothingChanged()).isTrue();
    assertThat(pid(s, "keep")).isEqualTo(keepPid);
  }

  @Test
  void aRemovedNameCanComeBack() throws Exception {
    Supervisor s = start(sleeps("a").build(), sleeps("b").build());
    s.awaitHealthy(WAIT);
    s.reload(List.of(sleeps("a").build()), WAIT);
    assertThat(s.status().child("b")).isEmpty();
    ReloadResult r = s.reload(List.of(sleeps("a").build(), sleeps("b").build()), WAIT);
    assertThat(r.added()).containsExactly("b");
    await().atMost(WAIT).until(() -> s.status().child("b").map(c -> c.state() == ChildState.RUNNING).orElse(false));
  }

  @Test
  void addedChildrenStartInDependencyOrderAndBecomeTheStartOrder() throws Exception {
    Supervisor s = start(sleeps("a").build());
    s.awaitHealthy(WAIT);
    ReloadResult r = s.reload(List.of(sleeps("a").build(), sleeps("app").dependsOn("db").build(), sleeps("db").build()), WAIT);
    assertThat(r.added()).containsExactly("db", "app");
    assertThat(s.children()).extracting(ChildSpec::name).containsExactly("a", "db", "app");
    await().atMost(WAIT).until(() -> child(s, "app").state() == ChildState.RUNNING);
    assertThat(eventsOf(dev.supervisor.event.ChildStateChanged.class).stream().filter(e -> e.to() == ChildState.RUNNING)
        .map(dev.supervisor.event.ChildStateChanged::name).toList()).containsExactly("a", "db", "app");
  }

  @Test
  void anInvalidSetChangesNothing() throws Exception {
    Supervisor s = start(sleeps("a").build(), sleeps("b").build());
    s.awaitHealthy(WAIT);
    long a = pid(s, "a");
    long b = pid(s, "b");

    assertThatThrownBy(() -> s.reload(List.of(sleeps("a").dependsOn("nope").build()), WAIT))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown child 'nope'").hasMessageContaining("nothing changed");
    assertThatThrownBy(() -> s.reload(List.of(sleeps("a").dependsOn("c").build(), sleeps("c").dependsOn("a").build()), WAIT))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dependency cycle");
    assertThatThrownBy(() -> s.reload(List.of(sleeps("a").build(), sleeps("a").build()), WAIT))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate child name 'a'");
    assertThatThrownBy(() -> s.reload(() -> SupervisorConfig.parse("{\"children\": [{\"name\": \"a\"}]}", "c.json").children(), WAIT))
        .isInstanceOf(ConfigException.class).hasMessageContaining("c.json");

    assertThat(pid(s, "a")).isEqualTo(a);
    assertThat(pid(s, "b")).isEqualTo(b);
    assertThat(s.children()).extracting(ChildSpec::name).containsExactly("a", "b");
    await().atMost(WAIT).until(() -> eventsOf(ConfigReloadFailed.class).size() == 4);
    assertThat(eventsOf(ConfigReloaded.class)).isEmpty();
  }

  @Test
  void aConfigReadTwiceGivesEqualSpecs() throws Exception {
    String json = "{\"children\": [{\"name\": \"web\", \"command\": [\"sleep\", \"1000\"], \"env\": {\"A\": \"1\"},"
        + " \"restart\": \"always\", \"stopGrace\": \"3s\", \"instances\": 2}, {\"name\": \"db\", \"command\": [\"sleep\", \"5\"]}]}";
    List<ChildSpec> one = SupervisorConfig.parse(json, "c.json").children();
    List<ChildSpec> two = SupervisorConfig.parse(json, "c.json").children();
    assertThat(one).isEqualTo(two);
    assertThat(one.get(0).hashCode()).isEqualTo(two.get(0).hashCode());
    assertThat(one.get(1)).isNotEqualTo(one.get(1).toBuilder().argv("sleep", "6").build());
  }
}
