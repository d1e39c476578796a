package dev.supervisor.functional;

import static dev.supervisor.testsupport.TestChildren.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.ChildStatus;
import dev.supervisor.StormBreaker;
import dev.supervisor.Supervisor;
import dev.supervisor.event.StormBreakerClosed;
import dev.supervisor.event.StormBreakerTripped;
import dev.supervisor.testsupport.Pids;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Four children share a dependency (a flag file standing for a database that is down): while
 * the flag exists each of them crashes at once. Killing them all while it exists trips the
 * breaker: one child is tried alone, the others wait, and they follow once the probe stays up.
 */
class StormBreakerTest extends SupervisorFixture {
  private static final List<String> NAMES = List.of("a", "b", "c", "d");

  private ChildSpec[] children(Path down) {
    return NAMES.stream().map(n -> sh(n, "if [ -e " + down + " ]; then exit 1; fi; exec sleep 1000").build()).toArray(ChildSpec[]::new);
  }

  private static Map<String, Integer> restarts(Supervisor s) {
    return s.status().children().stream().collect(Collectors.toMap(ChildStatus::name, ChildStatus::restarts));
  }

  private static void killAll(Supervisor s) {
    for (String n : NAMES) {
      Pids.kill9(pid(s, n));
    }
  }

  private static boolean allRunning(Supervisor s) {
    return s.status().children().stream().allMatch(c -> c.state() == ChildState.RUNNING);
  }

  @Test
  void aSharedOutageTripsTheBreakerOneChildIsTriedAndTheOthersFollowOnceItStaysUp() throws Exception {
    Path down = home.resolve("database-down");
    Supervisor s = start(b -> b.stormBreaker(StormBreaker.of(3, Duration.ofSeconds(10), Duration.ofMillis(500))), children(down));
    await().atMost(WAIT).until(() -> allRunning(s));
    Files.createFile(down);
    killAll(s);

    await().atMost(WAIT).until(() -> s.status().breaker().open() && s.status().breaker().held().size() == 3);
    StormBreaker.Status b = s.status().breaker();
    String probe = b.probe().orElseThrow();
    assertThat(b.held()).containsExactlyElementsOf(NAMES.stream().filter(n -> !n.equals(probe)).toList());
    assertThat(eventsOf(StormBreakerTripped.class)).hasSize(1);
    assertThat(eventsOf(StormBreakerTripped.class).get(0).crashed()).hasSizeGreaterThanOrEqualTo(3);
    for (String n : b.held()) {
      ChildStatus c = child(s, n);
      assertThat(c.state()).isEqualTo(ChildState.BACKOFF);
      assertThat(c.nextRestartAt()).isEmpty();
      assertThat(c.reason()).hasValue("held by the storm breaker: restarts resume once '" + probe + "' stays up for 500ms");
    }
    assertThat(s.status().toTable()).contains("storm breaker OPEN since ");

    // while the outage lasts, only the probe is restarted
    Map<String, Integer> before = restarts(s);
    await().atMost(WAIT).until(() -> restarts(s).get(probe) >= before.get(probe) + 5);
    Map<String, Integer> after = restarts(s);
    for (String n : b.held()) {
      assertThat(after.get(n)).as("held child %s is not restarted", n).isEqualTo(before.get(n));
    }

    // the outage ends: the probe stays up, the breaker closes, the others start
    Files.delete(down);
    await().atMost(WAIT).until(() -> !s.status().breaker().open() && allRunning(s));
    assertThat(eventsOf(StormBreakerClosed.class)).singleElement().satisfies(e -> {
      assertThat(e.probe()).isEqualTo(probe);
      assertThat(e.released()).containsExactlyElementsOf(b.held());
    });
    assertThat(s.status().breaker().held()).isEmpty();
  }

  @Test
  void anOperatorStartOfAHeldChildGoesAheadOfTheBreaker() throws Exception {
    Path down = home.resolve("database-down");
    Supervisor s = start(b -> b.stormBreaker(StormBreaker.of(2, Duration.ofSeconds(10), Duration.ofSeconds(30))), children(down));
    await().atMost(WAIT).until(() -> allRunning(s));
    Files.createFile(down);
    killAll(s);
    await().atMost(WAIT).until(() -> s.status().breaker().held().size() == 3);
    String held = s.status().breaker().held().get(0);
    Files.delete(down);
    s.start(held);
    await().atMost(WAIT).until(() -> child(s, held).state() == ChildState.RUNNING);
    assertThat(s.status().breaker().held()).doesNotContain(held).hasSize(2);
  }

  @Test
  void turnedOffEveryChildFollowsItsOwnPolicy() throws Exception {
    Path down = home.resolve("database-down");
    Supervisor s = start(b -> b.stormBreaker(StormBreaker.off()), children(down));
    await().atMost(WAIT).until(() -> allRunning(s));
    Files.createFile(down);
    killAll(s);
    await().atMost(WAIT).until(() -> restarts(s).values().stream().allMatch(r -> r >= 5));
    assertThat(s.status().breaker().open()).isFalse();
    assertThat(s.status().breaker().breaker()).isEqualTo("stormBreaker(off)");
    assertThat(eventsOf(StormBreakerTripped.class)).isEmpty();
    Files.delete(down);
  }

  @Test
  void settingsAreCheckedAndReadable() {
    assertThat(StormBreaker.majority()).hasToString("stormBreaker(majority in 30s, probe 10s)");
    assertThat(StormBreaker.majority().threshold(3)).isEqualTo(2);
    assertThat(StormBreaker.majority().threshold(50)).isEqualTo(26);
    assertThat(StormBreaker.majority().threshold(1)).isEqualTo(Integer.MAX_VALUE);
    assertThatThrownBy(() -> StormBreaker.of(1, Duration.ofSeconds(1), Duration.ofSeconds(1)))
        .hasMessage("children must be at least 2: one crashing child is its restart policy's business");
    assertThatThrownBy(() -> StormBreaker.of(3, Duration.ZERO, Duration.ofSeconds(1))).hasMessage("window must be positive, got PT0S");
  }
}
