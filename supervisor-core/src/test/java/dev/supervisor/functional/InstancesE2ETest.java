package dev.supervisor.functional;

import static dev.supervisor.testsupport.TestChildren.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ChildState;
import dev.supervisor.ChildStatus;
import dev.supervisor.Supervisor;
import dev.supervisor.event.ChildStateChanged;
import dev.supervisor.testsupport.Pids;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Instances and scaling on real processes (InstancesTest covers the same on fakes): each instance
 * is its own live process, scaling changes the set of live processes, and scaling down stops the
 * highest-numbered instance first.
 */
class InstancesE2ETest extends SupervisorFixture {

  /** Every instance that RUNNING with a pid, by name, in status order. */
  private static Map<String, Long> livePids(Supervisor s) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (ChildStatus c : s.status().children()) {
      if (c.state() == ChildState.RUNNING && c.pid().isPresent()) {
        out.put(c.name(), c.pid().getAsLong());
      }
    }
    return out;
  }

  private static String environ(long pid) throws Exception {
    return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ")), StandardCharsets.UTF_8);
  }

  @Test
  void nInstancesAreNRealProcessesAndScalingDownStopsTheHighestFirst() throws Exception {
    Supervisor s = start(sh("web", "exec sleep 1000").instances(3).build());
    await().atMost(WAIT).until(() -> livePids(s).size() == 3);
    Map<String, Long> three = livePids(s);
    assertThat(three.keySet()).containsExactly("web-0", "web-1", "web-2");
    assertThat(three.values()).doesNotHaveDuplicates().allMatch(Pids::alive);
    for (Map.Entry<String, Long> e : three.entrySet()) { // each process is the instance it claims to be
      assertThat(environ(e.getValue())).contains("INSTANCE_ID=" + e.getKey().substring("web-".length()));
    }

    assertThat(s.scale("web", 5)).containsExactly("web-0", "web-1", "web-2", "web-3", "web-4");
    await().atMost(WAIT).until(() -> livePids(s).size() == 5);
    Map<String, Long> five = livePids(s);
    assertThat(five.values()).doesNotHaveDuplicates().allMatch(Pids::alive);
    assertThat(five).as("growing leaves the running instances alone").containsAllEntriesOf(three);

    events.clear();
    assertThat(s.scale("web", 2)).containsExactly("web-0", "web-1");
    List<Long> gone = List.of(five.get("web-2"), five.get("web-3"), five.get("web-4"));
    await().atMost(WAIT).until(() -> gone.stream().noneMatch(Pids::alive));
    assertThat(s.status().children()).extracting(ChildStatus::name).containsExactly("web-0", "web-1");
    assertThat(livePids(s)).isEqualTo(Map.of("web-0", five.get("web-0"), "web-1", five.get("web-1")));
    assertThat(five.get("web-0")).matches(Pids::alive);
    assertThat(five.get("web-1")).matches(Pids::alive);
    List<String> stopping = eventsOf(ChildStateChanged.class).stream().filter(e -> e.to() == ChildState.STOPPING)
        .map(ChildStateChanged::name).toList();
    assertThat(stopping).as("the order in which the instances were stopped").containsExactly("web-4", "web-3", "web-2");
    List<Long> stoppedPids = eventsOf(ChildStateChanged.class).stream().filter(e -> e.to() == ChildState.STOPPING)
        .map(e -> e.pid().orElse(-1)).toList();
    assertThat(stoppedPids).as("the processes stopped are the ones those instances ran").containsExactly(
        five.get("web-4"), five.get("web-3"), five.get("web-2"));

    assertThat(s.scale("web", 3)).containsExactly("web-0", "web-1", "web-2");
    await().atMost(WAIT).until(() -> livePids(s).size() == 3);
    long web2 = livePids(s).get("web-2");
    assertThat(web2).as("web-2 came back as a new process").isNotEqualTo(five.get("web-2")).matches(Pids::alive);
  }
}
