package dev.supervisor.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The end-of-suite sweep, without ending the suite: what it finds and kills. */
class SuiteSweepTest {
  /** The end-of-suite sweep finds a survivor of any test of this run and kills it. */
  @Test
  void theSweepKillsAnyMarkOfThisRun() throws Exception {
    ProcessBuilder pb = TestProcesses.builder("sleep", "1000");
    pb.environment().put(ProcessLeakGuard.MARK_VAR, ProcessLeakGuard.RUN + ".some-earlier-test");
    Process survivor = pb.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> !ProcessLeakGuard.findMarkedWithPrefix(ProcessLeakGuard.RUN + ".").isEmpty());
    assertThat(SuiteSweep.sweep()).singleElement().asString().startsWith(survivor.pid() + " sleep 1000");
    assertThat(survivor.waitFor(5, TimeUnit.SECONDS)).isTrue();
    assertThat(SuiteSweep.sweep()).isEmpty();
  }
}
