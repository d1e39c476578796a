package dev.supervisor.ipc.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.supervisor.Backoff;
import dev.supervisor.ChildStatus;
import dev.supervisor.RestartMode;
import dev.supervisor.RestartPolicy;
import dev.supervisor.Supervisor;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.TestChildren;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * 50 children crash in a loop with zero backoff while a client asks for {@code status} over the
 * control socket every 10 ms. The storm must not starve the socket: every call is answered, with
 * the full status, within the client's 5 s read timeout. The latency figures are printed only:
 * latency is measured by {@code agentd bench storm}, not by a timed assertion here.
 * {@code -Dstorm.seconds=N} sets the length (default 5).
 */
@ExtendWith(ProcessLeakGuard.class)
class CrashStormStatusTest {
  @TempDir Path home;

  @Test
  void statusAnswersThroughoutACrashStorm() throws Exception {
    long seconds = Long.getLong("storm.seconds", 5);
    RestartPolicy zero = RestartPolicy.of(RestartMode.ALWAYS, Backoff.fixed(Duration.ZERO)).restartForever();
    Supervisor.Builder b = Supervisor.builder(home).shutdownHook(false).eventLog(false)
        .stormBreaker(dev.supervisor.StormBreaker.off()); // the storm is the point: all 50 keep crashing
    for (int i = 0; i < 50; i++) {
      b.child(TestChildren.sh("crash-" + i, "exit 1").restartPolicy(zero).build());
    }
    try (Supervisor sup = b.build(); ControlServer server = ControlServer.serve(sup, ControlServer.socketOf(home), Roles.ownerOnly())) {
      sup.startAsync();
      ControlClient client = ControlClient.of(server.socket(), Duration.ofSeconds(5));
      client.status(); // warm up
      long restarts0 = restarts(sup);
      long[] nanos = new long[(int) (seconds * 100)];
      int n = 0;
      long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
      while (System.nanoTime() < end && n < nanos.length) {
        long t0 = System.nanoTime();
        assertThat(client.status().children()).hasSize(50);
        nanos[n++] = System.nanoTime() - t0;
        java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
      }
      long restarts = restarts(sup) - restarts0;
      long[] s = Arrays.copyOf(nanos, n);
      Arrays.sort(s);
      long over100 = Arrays.stream(s).filter(x -> x > 100_000_000L).count();
      System.out.printf("crash storm: %d restarts in %d s; %d status calls: p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d over 100 ms%n",
          restarts, seconds, n, s[n / 2] / 1e6, s[(int) Math.ceil(n * 0.99) - 1] / 1e6, s[n - 1] / 1e6, over100);
      assertThat(restarts).as("the storm was raging").isGreaterThan(50L * seconds);
    }
  }

  private static long restarts(Supervisor sup) {
    return sup.status().children().stream().mapToLong(ChildStatus::restarts).sum();
  }
}
