package dev.supervisor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.persist.ProcessSignature;
import dev.supervisor.spi.LaunchedProcess;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.TestProcesses;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The exit of a process the system launcher adopted (as from a previous supervisor): seen through
 * a pidfd on JDK 22+ (one epoll thread for all), polled on JDK 17; and never reported once the
 * watch has stopped (a hand-over).
 */
@ExtendWith(ProcessLeakGuard.class)
class AdoptedExitsTest {
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final boolean PIDFD = Runtime.version().feature() >= 22
      && System.getProperty(NativeSignals.PROPERTY, "auto").equals("auto");

  private static LaunchedProcess adopt(Process p) {
    ProcessSignature sig = ProcessSignature.of(p.pid()).orElseThrow();
    return SystemProcessLauncher.INSTANCE.adopt(sig, Optional.empty()).orElseThrow();
  }

  @Test
  void anAdoptedProcessThatDiesIsSeenGoneThroughAPidfdOnJdk22() throws Exception {
    Process p = TestProcesses.start("sleep", "300");
    LaunchedProcess adopted = adopt(p);
    long before = AdoptedExits.pidfdExits();
    CompletableFuture<Integer> exit = adopted.onExit();
    assertThat(exit).isNotDone();

    p.destroyForcibly();

    await().atMost(WAIT).until(exit::isDone);
    assertThat(exit).isCompletedExceptionally();
    try {
      exit.get();
    } catch (ExecutionException e) {
      assertThat(e.getCause()).hasMessage(SystemProcessLauncher.ADOPTED_EXIT);
    }
    assertThat(AdoptedExits.pidfdExits() - before).as("exits seen through a pidfd on JDK %d", Runtime.version().feature())
        .isEqualTo(PIDFD ? 1 : 0);
  }

  @Test
  void aWatchStoppedByAHandOverReportsNothing() throws Exception {
    Process p = TestProcesses.start("sleep", "300");
    LaunchedProcess adopted = adopt(p);
    CompletableFuture<Integer> exit = adopted.onExit();
    adopted.stopWatching();

    p.destroyForcibly();
    p.onExit().get();

    await().during(Duration.ofMillis(3 * AdoptedExits.POLL_MILLIS)).atMost(WAIT).until(() -> !exit.isDone());
  }

  @Test
  void aWatchOfAProcessGoneBeforeItsPidfdReportsItAtOnce() throws Exception {
    Process p = TestProcesses.start("sleep", "300");
    ProcessSignature sig = ProcessSignature.of(p.pid()).orElseThrow();
    p.destroyForcibly();
    p.onExit().get(); // reaped: pidfd_open finds no such process (ESRCH), which is an exit, not a refusal
    java.util.concurrent.atomic.AtomicInteger gone = new java.util.concurrent.atomic.AtomicInteger();
    AdoptedExits.watch(sig, gone::incrementAndGet);
    if (PIDFD) {
      assertThat(gone.get()).as("reported at once, not left to a poll").isEqualTo(1);
    }
    await().atMost(WAIT).until(() -> gone.get() == 1);
    await().during(Duration.ofMillis(3 * AdoptedExits.POLL_MILLIS)).atMost(WAIT).until(() -> gone.get() == 1);
  }

  @Test
  void aProcessAlreadyGoneIsNotAdopted() throws Exception {
    Process p = TestProcesses.start("sleep", "300");
    ProcessSignature sig = ProcessSignature.of(p.pid()).orElseThrow();
    p.destroyForcibly();
    p.onExit().get();
    assertThat(SystemProcessLauncher.INSTANCE.adopt(sig, Optional.empty())).isEmpty();
  }
}
