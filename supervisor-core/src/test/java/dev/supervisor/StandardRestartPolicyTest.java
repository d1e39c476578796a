package dev.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.supervisor.testing.PolicyScenario;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/** The whole restart schedule on a simulated clock (the public test kit's PolicyScenario): no waiting, no processes. */
class StandardRestartPolicyTest {

  @Test
  void backoffDoublesFromOneSecondUpToThirtySeconds() {
    PolicyScenario sim = PolicyScenario.of(RestartPolicy.standard().restartForever());
    List<Long> delays = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      delays.add(sim.run(Duration.ofMillis(100), ExitStatus.exited(1)).delay().orElseThrow().toSeconds());
    }
    assertThat(delays).containsExactly(1L, 2L, 4L, 8L, 16L, 30L, 30L, 30L);
  }

  @Test
  void theAttemptCountResetsAfterAStableRun() {
    PolicyScenario sim = PolicyScenario.of(RestartPolicy.standard().restartForever());
    for (int i = 0; i < 4; i++) {
      sim.run(Duration.ofSeconds(1), ExitStatus.signaled("KILL"));
    }
    assertThat(sim.run(Duration.ofSeconds(1), ExitStatus.exited(1)).delay()).contains(Duration.ofSeconds(16));
    // Up for 60 s (the default stable period): the next crash starts again at 1 s.
    assertThat(sim.run(Duration.ofSeconds(60), ExitStatus.exited(1)).delay()).contains(Duration.ofSeconds(1));
    assertThat(sim.run(Duration.ofSeconds(1), ExitStatus.exited(1)).delay()).contains(Duration.ofSeconds(2));
    // 59 s is not stable enough.
    assertThat(sim.run(Duration.ofSeconds(59), ExitStatus.exited(1)).delay()).contains(Duration.ofSeconds(4));
  }

  @Test
  void aRequestedStopBreaksTheChain() {
    PolicyScenario sim = PolicyScenario.of(RestartPolicy.standard().restartForever());
    sim.run(Duration.ofSeconds(1), ExitStatus.exited(1));
    sim.run(Duration.ofSeconds(1), ExitStatus.exited(1));
    sim.run(Duration.ZERO, ExitStatus.signaled("TERM").asRequested()); // an operator stop
    assertThat(sim.run(Duration.ofSeconds(1), ExitStatus.exited(1)).delay()).contains(Duration.ofSeconds(1));
  }

  @Test
  void givesUpAfterFiveRestartsWithinSixtySeconds() {
    PolicyScenario sim = PolicyScenario.of(RestartPolicy.standard());
    for (int i = 0; i < 5; i++) {
      assertThat(sim.run(Duration.ZERO, ExitStatus.exited(3)).action()).isEqualTo(RestartDecision.Action.RESTART);
    }
    // restarts at 0, 1, 3, 7, 15 s; the sixth exit at 31 s is within the window of all five
    RestartDecision d = sim.run(Duration.ZERO, ExitStatus.exited(3));
    assertThat(d.action()).isEqualTo(RestartDecision.Action.GIVE_UP);
    assertThat(d.reason()).isEqualTo("5 restarts in 60s (last exit code 3)");
  }

  @Test
  void restartsOutsideTheWindowDoNotCount() {
    // up 1 s, then 20 s of backoff: exits 21 s apart, never 3 earlier restarts within 60 s
    PolicyScenario spaced = PolicyScenario.of(RestartPolicy.standard().withBackoff(Backoff.fixed(Duration.ofSeconds(20))).giveUpAfter(3, Duration.ofSeconds(60)));
    for (int i = 0; i < 20; i++) {
      assertThat(spaced.run(Duration.ofSeconds(1), ExitStatus.exited(1)).action()).isEqualTo(RestartDecision.Action.RESTART);
    }
    // 11 s apart: the fourth exit (t=34 s) sees restarts at 1, 12 and 23 s
    PolicyScenario dense = PolicyScenario.of(RestartPolicy.standard().withBackoff(Backoff.fixed(Duration.ofSeconds(10))).giveUpAfter(3, Duration.ofSeconds(60)));
    for (int i = 0; i < 3; i++) {
      assertThat(dense.run(Duration.ofSeconds(1), ExitStatus.exited(1)).action()).isEqualTo(RestartDecision.Action.RESTART);
    }
    assertThat(dense.run(Duration.ofSeconds(1), ExitStatus.exited(1)).action()).isEqualTo(RestartDecision.Action.GIVE_UP);
  }

  @Test
  void restartModes() {
    assertThat(PolicyScenario.of(RestartPolicy.standard()).run(Duration.ZERO, ExitStatus.exited(0)).action())
        .isEqualTo(RestartDecision.Action.NO_RESTART);
    assertThat(PolicyScenario.of(RestartPolicy.standard()).run(Duration.ZERO, ExitStatus.signaled("TERM")).action())
        .isEqualTo(RestartDecision.Action.RESTART);
    assertThat(PolicyScenario.of(RestartPolicy.standard().withMode(RestartMode.ALWAYS)).run(Duration.ZERO, ExitStatus.exited(0)).action())
        .isEqualTo(RestartDecision.Action.RESTART);
    RestartDecision never = PolicyScenario.of(RestartPolicy.never()).run(Duration.ZERO, ExitStatus.exited(2));
    assertThat(never.action()).isEqualTo(RestartDecision.Action.NO_RESTART);
    assertThat(never.reason()).isEqualTo("exit code 2; restart mode NEVER");
  }

  @Test
  void jitterStaysWithinItsBandAndUnderTheCap() {
    RandomGenerator random = new SplittableRandom(42);
    Backoff b = Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(30)).withJitter(0.2, random);
    for (int attempt = 1; attempt <= 10; attempt++) {
      long base = Math.min(1000L << (attempt - 1), 30_000);
      for (int i = 0; i < 200; i++) {
        long ms = b.delay(attempt).toMillis();
        assertThat(ms).isBetween((long) (base * 0.8) - 1, Math.min((long) (base * 1.2) + 1, 30_000));
      }
    }
  }

  @Test
  void toStringReadsLikeTheCode() {
    assertThat(Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(30)).withJitter(0.2))
        .hasToString("exponential(1s..30s).withJitter(0.2)");
    assertThat(Backoff.fixed(Duration.ofMillis(250))).hasToString("fixed(250ms)");
    assertThat(RestartPolicy.standard())
        .hasToString("onFailure(exponential(1s..30s), resetAfter 60s, giveUpAfter 5 in 60s)");
    assertThat(RestartPolicy.of(RestartMode.ALWAYS, Backoff.fixed(Duration.ZERO)).restartForever())
        .hasToString("always(fixed(0s), resetAfter 60s, restartForever)");
  }

  @Test
  void badArgumentsAreRejectedNamingTheParameter() {
    assertThatThrownBy(() -> Backoff.exponential(Duration.ofSeconds(5), Duration.ofSeconds(1)))
        .hasMessage("max (1s) must not be less than initial (5s)");
    assertThatThrownBy(() -> Backoff.fixed(Duration.ofSeconds(-1))).hasMessage("delay must not be negative, got PT-1S");
    assertThatThrownBy(() -> Backoff.fixed(Duration.ZERO).withJitter(1.5)).hasMessage("jitter factor must be in [0, 1], got 1.5");
    assertThatThrownBy(() -> RestartPolicy.standard().giveUpAfter(0, Duration.ofSeconds(1)))
        .hasMessage("maxRestarts must be in 1..256, got 0 (use restartForever() for no limit)");
    assertThatThrownBy(() -> Backoff.fixed(Duration.ZERO).delay(0)).hasMessage("attempt must be >= 1, got 0");
  }

  @Test
  void explainShowsTheDelaysAndWhenTheDefaultPolicyGivesUp() {
    RestartExplanation x = RestartPolicy.standard().explain(Duration.ZERO, 12);
    assertThat(x.delays()).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4),
        Duration.ofSeconds(8), Duration.ofSeconds(16));
    assertThat(x.fatalAtCrash()).hasValue(6);
    assertThat(x.steps().get(5).at()).isEqualTo(Duration.ofSeconds(31));
    assertThat(x.text()).isEqualTo("""
        policy onFailure(exponential(1s..30s), resetAfter 60s, giveUpAfter 5 in 60s)
        if the child crashed right after each start:
          crash 1 at 0s: restart in 1s
          crash 2 at 1s: restart in 2s
          crash 3 at 3s: restart in 4s
          crash 4 at 7s: restart in 8s
          crash 5 at 15s: restart in 16s
          crash 6 at 31s: FATAL, gives up (5 restarts in 60s (last exit code 1))
        it would be FATAL at crash 6, 31s after the first start""");
  }

  @Test
  void explainWithLongRunsNeverGivesUpAndAgreesWithTheSimulatedSupervisor() {
    RestartPolicy p = RestartPolicy.standard().giveUpAfter(3, Duration.ofSeconds(10));
    RestartExplanation x = p.explain(Duration.ofSeconds(20), 8);
    assertThat(x.fatalAtCrash()).isEmpty();
    // 20 s runs are shorter than the 60 s backoff reset, so the delays grow; but they outlast the 10 s window
    assertThat(x.delays()).extracting(Duration::toSeconds).containsExactly(1L, 2L, 4L, 8L, 16L, 30L, 30L, 30L);
    assertThat(x.text()).endsWith("it would not give up within 8 crashes");
    // the same policy in the step-by-step simulation of this class
    PolicyScenario sim = PolicyScenario.of(p);
    for (int i = 0; i < 8; i++) {
      assertThat(sim.run(Duration.ofSeconds(20), ExitStatus.exited(1)).delay()).hasValue(x.delays().get(i));
    }
  }

  @Test
  void explainStopsAtTheFirstNoRestartAndExplainsAnyPolicy() {
    assertThat(RestartPolicy.never().explain(Duration.ZERO, 5).text()).endsWith("it would stay EXITED after crash 1");
    RestartPolicy custom = ctx -> ctx.history().size() < 3 ? RestartDecision.restartAfter(Duration.ofMillis(500), "custom")
        : RestartDecision.giveUp("third strike");
    RestartExplanation x = custom.explain(Duration.ofSeconds(1), 10);
    assertThat(x.delays()).containsExactly(Duration.ofMillis(500), Duration.ofMillis(500));
    assertThat(x.fatalAtCrash()).hasValue(3);
    assertThatThrownBy(() -> custom.explain(Duration.ofSeconds(-1), 3)).hasMessage("uptime must not be negative, got PT-1S");
    assertThatThrownBy(() -> custom.explain(Duration.ZERO, 0)).hasMessage("crashes must be in 1..256, got 0");
  }
}
