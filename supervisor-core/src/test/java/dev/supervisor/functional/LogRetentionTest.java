package dev.supervisor.functional;

import static dev.supervisor.testsupport.TestChildren.sleeps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.supervisor.LogConfig;
import dev.supervisor.internal.LogFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LogRetentionTest extends SupervisorFixture {

  private Path rotated(Path log, String suffix, int bytes, Duration age) throws Exception {
    Path p = log.resolveSibling(log.getFileName() + suffix);
    Files.write(p, new byte[bytes]);
    Files.setLastModifiedTime(p, FileTime.from(Instant.now().minus(age)));
    return p;
  }

  @Test
  void oldRotatedFilesAndThoseBeyondTheByteCapAreDeletedNewestKept() throws Exception {
    Path dir = Files.createDirectories(home.resolve("logs"));
    Path log = Files.writeString(dir.resolve("a.log"), "current\n");
    Path r1 = rotated(log, ".1.gz", 400, Duration.ofMinutes(1));
    Path r2 = rotated(log, ".2.gz", 400, Duration.ofHours(1));
    Path r3 = rotated(log, ".3", 400, Duration.ofHours(2));
    Path r4 = rotated(log, ".4.gz", 10, Duration.ofDays(20));
    Path other = rotated(dir.resolve("ab.log"), ".1", 10, Duration.ofDays(20)); // another child's: untouched
    assertThat(LogFiles.prune(log, Duration.ofDays(14), 1000, Instant.now())).containsExactly(r3, r4);
    assertThat(r1).exists();
    assertThat(r2).exists();
    assertThat(other).exists();
    assertThat(log).exists();
  }

  @Test
  void theSupervisorAppliesRetentionAtStart() throws Exception {
    Path dir = Files.createDirectories(home.resolve("logs"));
    Path stale = rotated(dir.resolve("a.log"), ".3.gz", 10, Duration.ofDays(3));
    Path fresh = rotated(dir.resolve("a.log"), ".1.gz", 10, Duration.ofMinutes(5));
    start(sleeps("a").logs(LogConfig.rotating(1 << 20, 5, true).withRetention(Duration.ofDays(2), 0)).build());
    await().atMost(WAIT).until(() -> !Files.exists(stale));
    assertThat(fresh).exists();
    assertThat(LogConfig.defaults().maxAge()).isEqualTo(Duration.ofDays(14));
    assertThat(LogConfig.defaults().withRetention(Duration.ofDays(2), 5000)).hasToString(
        "rotating(10485760 bytes, keep 7, gzip, max age 2d, at most 5000 bytes rotated)");
    assertThatThrownBy(() -> LogConfig.defaults().withRetention(Duration.ZERO, 0)).hasMessage("maxAge must be positive, got PT0S");
  }
}
