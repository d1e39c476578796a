package dev.supervisor.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench family}'s reading of {@code /proc}, on this JVM standing in for a supervisor. */
class FamilyBenchTest {
  @TempDir Path home;

  @Test
  void eachProcessIsReadFromItsSmapsRollupWithPssAtMostRss() throws Exception {
    long self = ProcessHandle.current().pid();
    Files.writeString(home.resolve("supervisor.pid"), self + "\n");
    List<FamilyBench.Memory> all = FamilyBench.measure(home);
    assertThat(all).first().satisfies(m -> {
      assertThat(m.role()).isEqualTo("supervisor");
      assertThat(m.pid()).isEqualTo(self);
      assertThat(m.rss()).isGreaterThan(10_000); // KiB: a JVM is tens of MiB
      assertThat(m.pss()).isPositive().isLessThanOrEqualTo(m.rss());
      assertThat(m.anon()).isPositive().isLessThanOrEqualTo(m.rss());
    });
  }
}
