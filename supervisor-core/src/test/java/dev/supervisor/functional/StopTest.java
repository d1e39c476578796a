package dev.supervisor.functional;

import static dev.supervisor.testsupport.TestChildren.forksGrandchild;
import static dev.supervisor.testsupport.TestChildren.ignoresSigterm;
import static dev.supervisor.testsupport.TestChildren.sh;
import static dev.supervisor.testsupport.TestChildren.sleeps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ChildState;
import dev.supervisor.ExitStatus;
import dev.supervisor.RestartPolicy;
import dev.supervisor.Supervisor;
import dev.supervisor.SupervisorState;
import dev.supervisor.testsupport.Pids;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class StopTest extends SupervisorFixture {

  @Test
  void aChildIgnoringSigtermIsKilledAfterItsGrace() throws Exception {
    Supervisor s = start(ignoresSigterm("stubborn").stopGrace(Duration.ofMillis(400)).build());
    s.awaitHealthy(WAIT);
    long pid = pid(s, "stubborn");
    await().atMost(WAIT).until(() -> Files.exists(s.logFile("stubborn").orElseThrow())
        && Files.readString(s.logFile("stubborn").orElseThrow()).contains("started"));
    long t0 = System.nanoTime();
    s.stop("stubborn");
    await().atMost(WAIT).until(() -> child(s, "stubborn").state() == ChildState.STOPPED);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(ms).isGreaterThanOrEqualTo(350);
    assertThat(child(s, "stubborn").lastExit()).contains(ExitStatus.signaled("KILL").asRequested());
    assertThat(Pids.alive(pid)).isFalse();
  }

  @Test
  void aQuickChildStopsWithoutWaitingForItsGrace() throws Exception {
    Supervisor s = start(sleeps("quick").stopGrace(Duration.ofSeconds(30)).build());
    s.awaitHealthy(WAIT);
    long t0 = System.nanoTime();
    s.stopAsync().awaitStopped(Duration.ofSeconds(5));
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000);
    assertThat(child(s, "quick").lastExit()).contains(ExitStatus.signaled("TERM").asRequested());
  }

  @Test
  void aGrandchildIgnoringSigtermIsGoneAfterStop() throws Exception {
    Path pidFile = home.resolve("grandchild.pid");
    Supervisor s = start(forksGrandchild("parent", pidFile).stopGrace(Duration.ofMillis(300)).build());
    s.awaitHealthy(WAIT);
    await().atMost(WAIT).until(() -> Pids.readPid(pidFile) > 0);
    long grandchild = Pids.readPid(pidFile);
    assertThat(Pids.alive(grandchild)).isTrue();
    s.stopAsync().awaitStopped(WAIT);
    assertThat(Pids.alive(grandchild)).as("grandchild %d after stop", grandchild).isFalse();
    assertThat(s.state()).isEqualTo(SupervisorState.TERMINATED);
  }

  @Test
  void aGrandchildOfACrashedChildIsKilled() {
    Path pidFile = home.resolve("orphan.pid");
    Supervisor s = start(sh("crasher", "sleep 1000 & echo $! > " + pidFile + "; exit 3")
        .restartPolicy(RestartPolicy.never()).build());
    await().atMost(WAIT).until(() -> child(s, "crasher").state() == ChildState.EXITED);
    long orphan = Pids.readPid(pidFile);
    assertThat(orphan).isPositive();
    await().atMost(WAIT).until(() -> !Pids.alive(orphan));
  }

  @Test
  void operatorStopKeepsAChildStoppedAndStartBringsItBack() throws Exception {
    Supervisor s = start(sleeps("svc").build(), sleeps("other").build());
    s.awaitHealthy(WAIT);
    long pid = pid(s, "svc");
    s.stop("svc");
    await().atMost(WAIT).until(() -> child(s, "svc").state() == ChildState.STOPPED);
    await().during(Duration.ofMillis(200)).atMost(WAIT).until(() -> child(s, "svc").state() == ChildState.STOPPED);
    assertThat(Pids.alive(pid)).isFalse();
    s.awaitHealthy(Duration.ofSeconds(1)); // an operator-stopped child does not hold health up
    s.start("svc");
    s.awaitHealthy(WAIT);
    assertThat(pid(s, "svc")).isNotEqualTo(pid);
    assertThat(child(s, "svc").restarts()).isZero(); // operator actions are not policy restarts
  }

  @Test
  void closeStopsEverythingAndIsIdempotent() throws Exception {
    Supervisor s = start(sleeps("a").build(), ignoresSigterm("b").stopGrace(Duration.ofMillis(200)).build());
    s.awaitHealthy(WAIT);
    long a = pid(s, "a");
    long b = pid(s, "b");
    s.close();
    s.close();
    assertThat(s.state()).isEqualTo(SupervisorState.TERMINATED);
    assertThat(Pids.alive(a)).isFalse();
    assertThat(Pids.alive(b)).isFalse();
  }
}
