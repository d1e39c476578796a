package dev.supervisor.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.persist.PersistedState;
import dev.supervisor.persist.StateStore;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.SupervisorMain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The supervisor is SIGKILLed at random moments while a restart storm keeps it writing its
 * state: every time, the next reader finds a valid state (the primary, or the backup).
 */
@ExtendWith(ProcessLeakGuard.class)
class TornWriteTest {
  @TempDir Path dir;

  @Test
  void aSupervisorKilledMidWriteAlwaysLeavesALoadableState() throws Exception {
    Path home = Files.createDirectory(dir.resolve("home"));
    Random random = new Random(42);
    String[] children = {"--no-pdeathsig", "--no-breaker", "storm1=exit 1", "storm2=exit 1", "storm3=exit 1", "steady=exec sleep 1000"};
    long lastRestarts = -1;
    for (int round = 0; round < 8; round++) {
      Process sup = SupervisorMain.launch(home, children);
      try {
        awaitOwnedBy(home, sup);
        // let the storm write for a random while, then kill mid-flight
        await().pollDelay(Duration.ofMillis(100 + random.nextInt(400))).until(() -> true);
      } finally {
        sup.destroyForcibly();
        assertThat(sup.waitFor(10, TimeUnit.SECONDS)).isTrue();
      }
      Optional<PersistedState> s = StateStore.atomicJsonFile(home.resolve("state.json")).load();
      assertThat(s).as("state after kill %d", round).isPresent();
      assertThat(s.get().children()).extracting(PersistedState.Child::name).containsExactly("storm1", "storm2", "storm3", "steady");
      long restarts = s.get().children().stream().mapToLong(PersistedState.Child::restarts).sum();
      assertThat(restarts).as("restart counts only grow across supervisor crashes").isGreaterThanOrEqualTo(lastRestarts);
      lastRestarts = restarts;
    }
    // The writes are atomic renames, so a kill leaves the primary whole and the backup is never
    // needed above. Tear the primary as a torn write would and the backup must be what loads.
    Path state = home.resolve("state.json");
    Path backup = home.resolve("state.json.bak");
    assertThat(backup).as("the writer keeps the previous state as a backup").exists();
    Optional<PersistedState> fromBackup = StateStore.atomicJsonFile(copyAs(backup, "only-backup")).load();
    assertThat(fromBackup).isPresent();
    byte[] whole = Files.readAllBytes(state);
    Files.write(state, java.util.Arrays.copyOf(whole, whole.length / 2));
    assertThat(StateStore.atomicJsonFile(copyAs(state, "only-torn-primary")).load())
        .as("the torn primary alone does not load").isEmpty();
    assertThat(StateStore.atomicJsonFile(state).load()).as("the backup is loaded in its place").isEqualTo(fromBackup);

    // the last supervisor's orphans (no parent-death signal here) are stopped by a clean start and stop
    Process last = SupervisorMain.launch(home, children);
    awaitOwnedBy(home, last);
    last.destroy();
    assertThat(last.waitFor(30, TimeUnit.SECONDS)).isTrue();
  }

  /** {@code file} copied alone, as {@code state.json} of a new directory (so without its sibling). */
  private Path copyAs(Path file, String name) throws java.io.IOException {
    return Files.copy(file, Files.createDirectory(dir.resolve(name)).resolve("state.json"));
  }

  /** Until the saved state was written by {@code sup} (its recovery is done and its storm is writing). */
  private static void awaitOwnedBy(Path home, Process sup) {
    await().atMost(Duration.ofSeconds(30)).until(() -> sup.isAlive() && Files.exists(home.resolve("state.json"))
        && StateStore.atomicJsonFile(home.resolve("state.json")).load().flatMap(PersistedState::supervisor)
            .map(x -> x.pid() == sup.pid()).orElse(false));
  }
}
