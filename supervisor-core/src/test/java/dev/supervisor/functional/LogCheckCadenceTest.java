package dev.supervisor.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.LogConfig;
import dev.supervisor.testsupport.TestChildren;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A log growing fast from its first second is checked at the check interval, not after a 10 s
 * wait: no rotated file holds much more than the limit. Before, the first check and every check
 * after a rotation could wait 10 s, and the first rotated file held ten seconds of output.
 */
class LogCheckCadenceTest extends SupervisorFixture {
  private static final long LIMIT = 256 * 1024;

  private List<Path> logs() throws IOException {
    try (Stream<Path> s = Files.list(home.resolve("logs"))) {
      // a rotation in flight has a .tmp file that is renamed away at any moment
      return s.filter(p -> p.getFileName().toString().startsWith("fast.log") && !p.getFileName().toString().endsWith(".tmp")).toList();
    }
  }

  @Test
  void aFastLogIsRotatedNearItsLimitFromTheStart() throws Exception {
    // about 1 MB/s: 20 KB lines every 20 ms
    var s = start(b -> b.logCheckInterval(Duration.ofMillis(100)), TestChildren.sh("fast",
        "while :; do yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | head -c 20000; sleep 0.02; done").logs(LogConfig.rotating(LIMIT, 50, false)).build());
    s.awaitHealthy(WAIT);
    await().atMost(Duration.ofSeconds(20)).until(() -> logs().size() >= 4);
    s.stop("fast");
    await().atMost(WAIT).until(() -> child(s, "fast").state() == dev.supervisor.ChildState.STOPPED);
    for (Path p : logs()) {
      // a second of output past the limit is the slack for a loaded machine; ten seconds was the bug
      assertThat(Files.size(p)).as(p.getFileName().toString()).isLessThan(LIMIT + 1024 * 1024);
    }
  }
}
