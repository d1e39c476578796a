package dev.supervisor.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.persist.PersistedState;
import dev.supervisor.persist.StateStore;
import dev.supervisor.testsupport.Pids;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.SupervisorMain;
import dev.supervisor.testsupport.TestProcesses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Children killed at random (SIGKILL, SIGTERM, SIGSTOP then SIGCONT) and the supervisor itself
 * SIGKILLed and restarted in between, with invariants checked all along: never two live
 * instances of a child, the state file always loads, restart counts never shrink; at the end
 * the state matches {@code /proc} and a stop leaves nothing. {@code -Dchaos.seconds=N} runs it
 * longer (default 20 s in CI).
 */
@ExtendWith(ProcessLeakGuard.class)
class ChaosTest {
  private static final int CHILDREN = 4;
  @TempDir Path dir;

  /** Live instances per child, found by each child's unique argv {@code sleep 99900N}. */
  private static Map<Integer, Integer> liveInstances() throws IOException {
    Map<Integer, Integer> count = new HashMap<>();
    for (Pids.Live p : Pids.live()) {
      if (p.cmdline().startsWith("sleep 99900")) {
        count.merge(Integer.parseInt(p.cmdline().substring(11)), 1, Integer::sum);
      }
    }
    return count;
  }

  private static void signal(String sig, long pid) throws Exception {
    TestProcesses.builder("kill", "-s", sig, Long.toString(pid)).start().waitFor(5, TimeUnit.SECONDS);
  }

  @Test
  void childrenAndSupervisorKilledAtRandomKeepEveryInvariant() throws Exception {
    long seconds = Long.getLong("chaos.seconds", 20);
    Path home = Files.createDirectory(dir.resolve("home"));
    String[] children = new String[CHILDREN];
    for (int i = 0; i < CHILDREN; i++) {
      children[i] = "c" + i + "=exec sleep 99900" + i;
    }
    Random random = new Random(7);
    StateStore store = StateStore.atomicJsonFile(home.resolve("state.json"));
    Process sup = SupervisorMain.launch(home, children);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long childKills = 0;
    long supervisorKills = 0;
    long lastRestarts = 0;
    try {
      while (System.nanoTime() < end) {
        // invariant: at most one live instance of each child, at every look
        assertThat(liveInstances().values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(1));
        Optional<PersistedState> s = store.load(); // invariant: always loads
        if (s.isPresent()) {
          long restarts = s.get().children().stream().mapToLong(PersistedState.Child::restarts).sum();
          assertThat(restarts).isGreaterThanOrEqualTo(lastRestarts); // invariant: counts never shrink
          lastRestarts = restarts;
        }
        int roll = random.nextInt(100);
        if (roll < 5) {
          sup.destroyForcibly();
          assertThat(sup.waitFor(10, TimeUnit.SECONDS)).isTrue();
          supervisorKills++;
          sup = SupervisorMain.launch(home, children);
        } else if (s.isPresent()) {
          PersistedState.Child c = s.get().children().get(random.nextInt(CHILDREN));
          if (c.process().isPresent() && c.process().get().isAlive()) {
            long pid = c.process().get().pid();
            if (roll < 60) {
              signal("KILL", pid);
            } else if (roll < 85) {
              signal("TERM", pid);
            } else {
              signal("STOP", pid);
              await().pollDelay(Duration.ofMillis(50)).until(() -> true);
              signal("CONT", pid);
            }
            childKills++;
          }
        }
        await().pollDelay(Duration.ofMillis(20 + random.nextInt(60))).until(() -> true);
      }
      // settle: one live supervisor, every child running exactly once, matching the state file
      Process current = sup;
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        Optional<PersistedState> s = store.load();
        return s.isPresent() && s.get().supervisor().map(x -> x.pid() == current.pid()).orElse(false)
            && s.get().children().stream().allMatch(c -> c.state().equals("RUNNING") && c.process().map(p -> p.isAlive()).orElse(false))
            && liveInstances().size() == CHILDREN && liveInstances().values().stream().allMatch(n -> n == 1);
      });
      System.out.printf("chaos: %d s, %d child signals, %d supervisor SIGKILLs, %d restarts recorded%n", seconds, childKills,
          supervisorKills, lastRestarts);
      assertThat(childKills).isPositive();
    } finally {
      sup.destroy(); // SIGTERM: a clean stop
      if (!sup.waitFor(30, TimeUnit.SECONDS)) {
        sup.destroyForcibly();
      }
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> liveInstances().isEmpty()); // a stop leaves nothing
  }
}
