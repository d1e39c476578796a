package dev.supervisor.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.supervisor.spi.TimerClock;
import dev.supervisor.testing.ManualClock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The loop's timers on a clock that keeps them: a timer cancelled on the loop never runs, even
 * when the clock fell due and handed it to the loop before the cancel (an operator start that
 * cancels a backoff while the test advances the clock). Before, the stale backoff ran after the
 * start and spawned the child a second time.
 */
class EventLoopTest {
  private final ManualClock clock = ManualClock.start();
  private final EventLoop loop = new EventLoop("event-loop-test", clock, e -> { });

  @AfterEach
  void end() {
    loop.endAll();
  }

  @Test
  void aTimerCancelledOnTheLoopAfterItFellDueDoesNotRun() throws Exception {
    AtomicInteger ran = new AtomicInteger();
    TimerClock.Timer[] timer = new TimerClock.Timer[1];
    CountDownLatch scheduled = new CountDownLatch(1);
    loop.executor().execute(() -> {
      timer[0] = loop.schedule(ran::incrementAndGet, Duration.ofSeconds(10));
      scheduled.countDown();
    });
    assertThat(scheduled.await(5, TimeUnit.SECONDS)).isTrue();

    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    loop.executor().execute(() -> { // the loop is busy: what falls due now queues behind this
      busy.countDown();
      await(release);
      timer[0].cancel(); // as operatorStart() cancels the backoff, on the loop
    });
    assertThat(busy.await(5, TimeUnit.SECONDS)).isTrue();
    clock.advance(Duration.ofSeconds(10)); // due: handed to the loop, behind the cancel
    release.countDown();

    CountDownLatch drained = new CountDownLatch(1);
    loop.executor().execute(drained::countDown);
    assertThat(drained.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(ran).as("a cancelled timer must not run").hasValue(0);
  }

  @Test
  void aTimerThatIsNotCancelledRunsOnceItIsDue() throws Exception {
    CountDownLatch ran = new CountDownLatch(1);
    loop.executor().execute(() -> loop.schedule(ran::countDown, Duration.ofMinutes(5)));
    CountDownLatch drained = new CountDownLatch(1);
    loop.executor().execute(drained::countDown);
    assertThat(drained.await(5, TimeUnit.SECONDS)).isTrue();
    clock.advance(Duration.ofMinutes(5).minusMillis(1));
    assertThat(ran.await(200, TimeUnit.MILLISECONDS)).isFalse();
    clock.advance(Duration.ofMillis(1));
    assertThat(ran.await(5, TimeUnit.SECONDS)).isTrue();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
