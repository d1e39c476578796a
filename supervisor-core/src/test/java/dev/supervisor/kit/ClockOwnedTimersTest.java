package dev.supervisor.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.Backoff;
import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.ChildStatus;
import dev.supervisor.RestartMode;
import dev.supervisor.RestartPolicy;
import dev.supervisor.StormBreaker;
import dev.supervisor.Strategy;
import dev.supervisor.Supervisor;
import dev.supervisor.testing.FakeProcessLauncher;
import dev.supervisor.testing.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A supervisor built with a ManualClock runs its engine's timers on it: advance() fires what is
 * due, so schedules of minutes play out at once. The delays here are long (10 s and more), so a
 * timer still waiting in real time would miss every 5 s wait below.
 */
class ClockOwnedTimersTest {
  private static final Duration WAIT = Duration.ofSeconds(5);
  @TempDir Path home;

  private static ChildStatus status(Supervisor s, String name) {
    return s.status().child(name).orElseThrow();
  }

  @Test
  void theWholeBackoffScheduleIntoFatalPlaysOutAsTheClockAdvances() throws Exception {
    ManualClock clock = ManualClock.start();
    FakeProcessLauncher fake = new FakeProcessLauncher();
    ChildSpec crasher = ChildSpec.builder("crasher").argv("/opt/crasher")
        .restartPolicy(RestartPolicy.of(RestartMode.ON_FAILURE, Backoff.exponential(Duration.ofSeconds(10), Duration.ofSeconds(160)))
            .giveUpAfter(5, Duration.ofMinutes(10)))
        .build();
    try (Supervisor s = Supervisor.builder(home).processLauncher(fake).clock(clock).shutdownHook(false)
        .stormBreaker(StormBreaker.off()).child(crasher).build()) {
      s.startAsync().awaitHealthy(WAIT);
      long[] delays = {10, 20, 40, 80, 160};
      for (int i = 0; i < delays.length; i++) {
        int launches = i + 1;
        fake.current("crasher").exit(1);
        await().atMost(WAIT).until(() -> status(s, "crasher").state() == ChildState.BACKOFF);
        Instant due = status(s, "crasher").nextRestartAt().orElseThrow();
        assertThat(Duration.between(clock.instant(), due)).as("backoff %d", launches).isEqualTo(Duration.ofSeconds(delays[i]));
        clock.advance(Duration.ofSeconds(delays[i]).minusMillis(1));
        assertThat(fake.launches("crasher")).as("not due yet").isEqualTo(launches);
        clock.advance(Duration.ofMillis(1));
        await().atMost(WAIT).until(() -> fake.launches("crasher") == launches + 1 && status(s, "crasher").state() == ChildState.RUNNING);
      }
      fake.current("crasher").exit(1); // a sixth crash within 10 minutes: the policy gives up
      await().atMost(WAIT).until(() -> status(s, "crasher").state() == ChildState.FATAL);
      assertThat(status(s, "crasher").restarts()).isEqualTo(5);
      assertThat(clock.pendingTimers()).as("only the state flush is left").isEqualTo(1);
    }
  }

  @Test
  void aGroupRestartWaitsForTheClock() throws Exception {
    ManualClock clock = ManualClock.start();
    FakeProcessLauncher fake = new FakeProcessLauncher();
    RestartPolicy slow = RestartPolicy.of(RestartMode.ON_FAILURE, Backoff.fixed(Duration.ofSeconds(30)));
    try (Supervisor s = Supervisor.builder(home).processLauncher(fake).clock(clock).shutdownHook(false).strategy(Strategy.ONE_FOR_ALL)
        .stormBreaker(StormBreaker.off())
        .child(ChildSpec.builder("a").argv("/opt/a").restartPolicy(slow).build())
        .child(ChildSpec.builder("b").argv("/opt/b").restartPolicy(slow).build()).build()) {
      s.startAsync().awaitHealthy(WAIT);
      fake.current("a").exit(2);
      await().atMost(WAIT).until(() -> status(s, "a").state() == ChildState.BACKOFF && status(s, "b").state() == ChildState.BACKOFF);
      clock.advance(Duration.ofSeconds(29));
      assertThat(fake.launches("a") + fake.launches("b")).isEqualTo(2);
      clock.advance(Duration.ofSeconds(1));
      await().atMost(WAIT).until(() -> fake.launches("a") == 2 && fake.launches("b") == 2);
    }
  }

  @Test
  void aStopGraceIsTheClocks() throws Exception {
    ManualClock clock = ManualClock.start();
    FakeProcessLauncher fake = new FakeProcessLauncher().ignoreStopSignal("stubborn");
    try (Supervisor s = Supervisor.builder(home).processLauncher(fake).clock(clock).shutdownHook(false)
        .child(ChildSpec.builder("stubborn").argv("/opt/stubborn").stopGrace(Duration.ofMinutes(5)).build()).build()) {
      s.startAsync().awaitHealthy(WAIT);
      s.stop("stubborn");
      await().atMost(WAIT).until(() -> status(s, "stubborn").state() == ChildState.STOPPING);
      clock.advance(Duration.ofMinutes(5));
      await().atMost(WAIT).until(() -> status(s, "stubborn").state() == ChildState.STOPPED);
      assertThat(fake.current("stubborn").signals()).containsExactly("TERM", "KILL");
    }
  }

  @Test
  void theStormBreakersProbeRunsOnTheClock() throws Exception {
    ManualClock clock = ManualClock.start();
    FakeProcessLauncher fake = new FakeProcessLauncher();
    RestartPolicy quick = RestartPolicy.of(RestartMode.ON_FAILURE, Backoff.fixed(Duration.ofSeconds(1))).restartForever();
    Supervisor.Builder b = Supervisor.builder(home).processLauncher(fake).clock(clock).shutdownHook(false)
        .stormBreaker(StormBreaker.of(2, Duration.ofMinutes(1), Duration.ofMinutes(2)));
    for (String n : new String[] {"a", "b", "c"}) {
      b.child(ChildSpec.builder(n).argv("/opt/" + n).restartPolicy(quick).build());
    }
    try (Supervisor s = b.build()) {
      s.startAsync().awaitHealthy(WAIT);
      for (String n : new String[] {"a", "b", "c"}) {
        fake.current(n).exit(1);
      }
      await().atMost(WAIT).until(() -> s.status().breaker().open()
          && s.status().children().stream().allMatch(c -> c.state() == ChildState.BACKOFF));
      clock.advance(Duration.ofSeconds(1)); // the backoffs: one child is tried, the others are held
      await().atMost(WAIT).until(() -> s.status().breaker().held().size() == 2 && s.status().breaker().probe().isPresent());
      String probe = s.status().breaker().probe().get();
      await().atMost(WAIT).until(() -> status(s, probe).state() == ChildState.RUNNING);
      clock.advance(Duration.ofSeconds(119));
      assertThat(s.status().breaker().open()).as("the probe has not stayed up 2 minutes yet").isTrue();
      clock.advance(Duration.ofSeconds(1));
      await().atMost(WAIT).until(() -> !s.status().breaker().open()
          && s.status().children().stream().allMatch(c -> c.state() == ChildState.RUNNING));
      assertThat(fake.launches("a") + fake.launches("b") + fake.launches("c")).isEqualTo(6);
    }
  }
}
