package dev.supervisor.functional;

import static dev.supervisor.testsupport.TestChildren.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.supervisor.Backoff;
import dev.supervisor.ChildState;
import dev.supervisor.HealthResult;
import dev.supervisor.Incident;
import dev.supervisor.RestartDecision;
import dev.supervisor.RestartMode;
import dev.supervisor.RestartPolicy;
import dev.supervisor.Supervisor;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class IncidentsTest extends SupervisorFixture {

  @Test
  void eachCrashIsRecordedWithTheLogTailTheExitAndTheDecision() throws Exception {
    Supervisor s = start(sh("flaky", "for i in $(seq 1 60); do echo line-$i; done; exit 3")
        .restartPolicy(RestartPolicy.of(RestartMode.ON_FAILURE, Backoff.fixed(Duration.ofMillis(20))).giveUpAfter(2, Duration.ofMinutes(1))).build());
    await().atMost(WAIT).until(() -> child(s, "flaky").state() == ChildState.FATAL);
    await().atMost(WAIT).until(() -> s.incidents("flaky").size() == 3);
    List<Incident> incidents = s.incidents("flaky");
    assertThat(incidents).extracting(Incident::decision)
        .containsExactly(RestartDecision.Action.RESTART, RestartDecision.Action.RESTART, RestartDecision.Action.GIVE_UP);
    assertThat(incidents).extracting(Incident::runId).containsExactly(1L, 2L, 3L);
    Incident first = incidents.get(0);
    assertThat(first.exit().code()).hasValue(3);
    assertThat(first.restartDelay()).hasValue(Duration.ofMillis(20));
    assertThat(first.lastLines()).hasSize(Incident.LINES)
        .containsExactlyElementsOf(IntStream.rangeClosed(11, 60).mapToObj(i -> "line-" + i).toList());
    Incident last = incidents.get(2);
    assertThat(last.restartDelay()).isEmpty();
    assertThat(last.reason()).isEqualTo("2 restarts in 60s (last exit code 3)");
    assertThat(last.summary()).contains(" flaky run 3: exit code 3 after ").endsWith("; FATAL: 2 restarts in 60s (last exit code 3)");
    assertThat(Files.readAllLines(home.resolve("incidents/flaky.jsonl"))).hasSize(3);
  }

  @Test
  void aRunThatLivedCarriesItsPeakMemoryAndCpuAndAHangKillItsReason() throws Exception {
    Supervisor s = start(
        sh("slow", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 1.5; exit 4").build(),
        sh("hung", "exec sleep 1000").healthCheck(c -> HealthResult.unhealthy("no answer on :8080"), Duration.ofMillis(100), 2,
            Duration.ZERO).build());
    await().atMost(WAIT).until(() -> !s.incidents("slow").isEmpty() && !s.incidents("hung").isEmpty());
    Incident slow = s.incidents("slow").get(0);
    assertThat(slow.exit().code()).hasValue(4);
    assertThat(slow.uptime()).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
    assertThat(slow.peakRssBytes()).as("sampled while it ran").isPresent();
    assertThat(slow.peakRssBytes().getAsLong()).isGreaterThan(100_000L);
    assertThat(slow.cpuTime()).isPresent();
    Incident hung = s.incidents("hung").get(0);
    assertThat(hung.exit().reason()).hasValueSatisfying(r -> assertThat(r).contains("no answer on :8080"));
    assertThat(hung.decision()).isEqualTo(RestartDecision.Action.RESTART);
  }

  @Test
  void recordsAreBoundedPerChildAndCanBeTurnedOff() throws Exception {
    Supervisor s = start(b -> b.incidentsKept(5), sh("loop", "exit 1").build());
    await().atMost(WAIT).until(() -> child(s, "loop").restarts() >= 25);
    await().atMost(WAIT).until(() -> s.incidents("loop").size() == 5);
    List<Incident> kept = s.incidents("loop");
    assertThat(kept.get(4).runId() - kept.get(0).runId()).isEqualTo(4); // the newest five, in order
    assertThat(Files.readAllLines(home.resolve("incidents/loop.jsonl")).size()).isLessThan(10);
    assertThatThrownBy(() -> s.incidents("ghost")).isInstanceOf(IllegalArgumentException.class);
    s.close();

    Supervisor off = start(b -> b.incidentsKept(0), sh("loop2", "exit 1").build());
    await().atMost(WAIT).until(() -> child(off, "loop2").restarts() >= 3);
    assertThat(off.incidents("loop2")).isEmpty();
    assertThat(home.resolve("incidents/loop2.jsonl")).doesNotExist();
    assertThatThrownBy(() -> Supervisor.builder(home).incidentsKept(-1)).hasMessage("incidentsKept must be in 0..10000, got -1");
  }
}
