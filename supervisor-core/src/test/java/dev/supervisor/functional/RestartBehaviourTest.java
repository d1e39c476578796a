package dev.supervisor.functional;

import static dev.supervisor.testsupport.TestChildren.exitsWithCode;
import static dev.supervisor.testsupport.TestChildren.sh;
import static dev.supervisor.testsupport.TestChildren.sleeps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.supervisor.Backoff;
import dev.supervisor.ChildState;
import dev.supervisor.ChildStatus;
import dev.supervisor.ExitStatus;
import dev.supervisor.RestartMode;
import dev.supervisor.RestartPolicy;
import dev.supervisor.Supervisor;
import dev.supervisor.event.ChildGaveUp;
import dev.supervisor.event.ChildStateChanged;
import dev.supervisor.event.RestartScheduled;
import dev.supervisor.testsupport.Pids;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RestartBehaviourTest extends SupervisorFixture {

  @Test
  void cleanExitIsNotRestarted() throws Exception {
    Supervisor s = start(exitsWithCode("oneshot", 0).build());
    await().atMost(WAIT).until(() -> child(s, "oneshot").state() == ChildState.EXITED);
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> child(s, "oneshot").runId() == 1);
    ChildStatus c = child(s, "oneshot");
    assertThat(c.restarts()).isZero();
    assertThat(c.lastExit()).contains(ExitStatus.exited(0));
    s.awaitHealthy(Duration.ofSeconds(1)); // a clean one-shot counts as settled
  }

  @Test
  void nonZeroExitIsRestartedWithItsCode() {
    Supervisor s = start(exitsWithCode("crasher", 3).build());
    await().atMost(WAIT).until(() -> child(s, "crasher").restarts() >= 3);
    assertThat(child(s, "crasher").lastExit().flatMap(e -> e.code().isPresent() ? java.util.Optional.of(e.code().getAsInt()) : java.util.Optional.empty()))
        .contains(3);
    assertThat(eventsOf(RestartScheduled.class)).isNotEmpty().allSatisfy(e -> assertThat(e.reason()).startsWith("exit code 3, attempt "));
  }

  @Test
  void sigkilledChildIsRestartedAndTheSignalIsReported() throws Exception {
    Supervisor s = start(sleeps("victim").build());
    s.awaitHealthy(WAIT);
    long first = pid(s, "victim");
    Pids.kill9(first);
    await().atMost(WAIT).until(() -> child(s, "victim").state() == ChildState.RUNNING && pid(s, "victim") != first);
    ChildStatus c = child(s, "victim");
    assertThat(c.restarts()).isEqualTo(1);
    assertThat(c.runId()).isEqualTo(2);
    assertThat(c.lastExit()).contains(ExitStatus.signaled("KILL"));
    assertThat(Pids.alive(first)).isFalse();
  }

  @Test
  void givesUpIntoFatalAndAnOperatorRestartBringsItBack() throws Exception {
    Path flag = home.resolve("healthy-now");
    RestartPolicy policy = RestartPolicy.of(RestartMode.ON_FAILURE, Backoff.fixed(Duration.ofMillis(10)))
        .giveUpAfter(3, Duration.ofSeconds(60));
    Supervisor s = start(sh("flaky", "[ -f " + flag + " ] && exec sleep 1000; exit 4").restartPolicy(policy).build());

    await().atMost(WAIT).until(() -> child(s, "flaky").state() == ChildState.FATAL);
    ChildStatus fatal = child(s, "flaky");
    assertThat(fatal.restarts()).isEqualTo(3);
    assertThat(fatal.reason()).contains("3 restarts in 60s (last exit code 4)");
    assertThat(eventsOf(ChildGaveUp.class)).singleElement().satisfies(e -> assertThat(e.name()).isEqualTo("flaky"));
    assertThatThrownBy(() -> s.awaitHealthy(Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("child 'flaky' is FATAL: 3 restarts in 60s (last exit code 4); fix it, then restart it");

    Files.createFile(flag);
    s.restart("flaky");
    s.awaitHealthy(WAIT);
    assertThat(child(s, "flaky").state()).isEqualTo(ChildState.RUNNING);
  }

  @Test
  void alwaysRestartsACleanExit() {
    RestartPolicy always = RestartPolicy.of(RestartMode.ALWAYS, Backoff.fixed(Duration.ofMillis(10))).restartForever();
    Supervisor s = start(exitsWithCode("periodic", 0).restartPolicy(always).build());
    await().atMost(WAIT).until(() -> child(s, "periodic").restarts() >= 2);
  }

  @Test
  void neverDoesNotRestartAFailure() throws Exception {
    Supervisor s = start(exitsWithCode("once", 7).restartPolicy(RestartPolicy.never()).build());
    await().atMost(WAIT).until(() -> child(s, "once").state() == ChildState.EXITED);
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> child(s, "once").runId() == 1);
    assertThatThrownBy(() -> s.awaitHealthy(Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("child 'once' EXITED with exit code 7 and its restart policy does not restart it");
  }

  @Test
  void backoffDelaysGrowBetweenRealRestarts() {
    RestartPolicy policy = RestartPolicy.of(RestartMode.ON_FAILURE, Backoff.exponential(Duration.ofMillis(50), Duration.ofMillis(200)))
        .restartForever();
    Supervisor s = start(exitsWithCode("crasher", 1).restartPolicy(policy).build());
    await().atMost(WAIT).until(() -> eventsOf(RestartScheduled.class).size() >= 5);
    assertThat(eventsOf(RestartScheduled.class).stream().limit(5).map(e -> e.delay().toMillis()))
        .containsExactly(50L, 100L, 200L, 200L, 200L);
  }

  /**
   * The child traps SIGTERM and exits 1 a little later, so its failing exit arrives while it is
   * STOPPING; a zero backoff ON_FAILURE policy would restart it at once if the stop were forgotten.
   */
  @Test
  void aChildExitingDuringStopIsNeverRestarted() throws Exception {
    Path trapped = home.resolve("b.trapped");
    Supervisor s = start(sleeps("a").build(), sh("b", "trap 'sleep 0.2; exit 1' TERM; touch '" + trapped + "'; "
        + "while :; do sleep 0.05; done").restartPolicy(
        RestartPolicy.of(RestartMode.ON_FAILURE, Backoff.fixed(Duration.ZERO)).restartForever()).build());
    await().atMost(WAIT).until(() -> Files.exists(trapped) && child(s, "b").state() == ChildState.RUNNING);
    s.stop("b");
    await().atMost(WAIT).until(() -> child(s, "b").state() == ChildState.STOPPED);
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> child(s, "b").state() == ChildState.STOPPED
        && child(s, "b").runId() == 1);
    assertThat(eventsOf(ChildStateChanged.class).stream().filter(e -> e.name().equals("b")).map(ChildStateChanged::to))
        .as("b's states").endsWith(ChildState.RUNNING, ChildState.STOPPING, ChildState.STOPPED)
        .containsOnlyOnce(ChildState.RUNNING);
    assertThat(child(s, "b").lastExit().orElseThrow().code()).as("it exited 1 while STOPPING").hasValue(1);
    assertThat(child(s, "b").restarts()).isZero();
    assertThat(eventsOf(RestartScheduled.class)).noneMatch(e -> e.name().equals("b"));
    assertThat(child(s, "a").state()).isEqualTo(ChildState.RUNNING);
  }
}
