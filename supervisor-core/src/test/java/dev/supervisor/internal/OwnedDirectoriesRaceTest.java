package dev.supervisor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two supervisors starting on one new home both make {@code home/logs}: the one that loses the
 * race finds a directory, not "a file that is not a directory is in the way" (PidLockRaceTest's
 * 20 JVMs hit it about once a run).
 */
class OwnedDirectoriesRaceTest {
  @TempDir Path dir;

  @Test
  void racingCreatorsBothSucceed() throws Exception {
    int threads = 8;
    for (int round = 0; round < 200; round++) {
      Path target = dir.resolve("home-" + round).resolve("logs");
      CyclicBarrier go = new CyclicBarrier(threads);
      List<CompletableFuture<Boolean>> all = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        all.add(CompletableFuture.supplyAsync(() -> {
          try {
            go.await(10, TimeUnit.SECONDS);
            return OwnedDirectories.ensure(target);
          } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
          }
        }, r -> new Thread(r).start()));
      }
      long made = 0;
      for (CompletableFuture<Boolean> f : all) {
        made += f.get(20, TimeUnit.SECONDS) ? 1 : 0;
      }
      assertThat(Files.isDirectory(target)).isTrue();
      assertThat(made).as("round " + round + ": callers that say they made it").isBetween(1L, (long) threads);
    }
  }
}
