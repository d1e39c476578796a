package dev.supervisor.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.supervisor.ChildSpec;
import dev.supervisor.NotifySocketFactory;
import dev.supervisor.Supervisor;
import dev.supervisor.testing.FakeProcessLauncher;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scaling up a notify child whose socket cannot be bound fails, and fails again when retried:
 * before, the first failure left the new instance in the table without its socket, and the
 * retry started it with no NOTIFY_SOCKET at all.
 */
class ScaleNotifyBindTest {
  /** Binds nothing: the supervisor's own checks (the socket path's length) are what this tests. */
  private static final NotifySocketFactory NO_SOCKETS = new NotifySocketFactory() {
    @Override
    public NotifySocket bind(Path path, NotifyReceiver receiver) {
      return () -> { };
    }

    @Override
    public boolean knowsSenders() {
      return false;
    }
  };

  @TempDir Path tmp;

  @Test
  void aFailedBindIsAFailedScaleEachTime() throws Exception {
    // a home whose notify socket path for "w-9" is exactly 107 bytes: "w-10" is one too many
    String tail = "/run/notify/w-9.sock";
    Path home = tmp.resolve("h".repeat(107 - tmp.toString().length() - 1 - tail.length()));
    Files.createDirectories(home);
    assertThat((home + tail).length()).isEqualTo(107);
    FakeProcessLauncher fake = new FakeProcessLauncher();
    try (Supervisor s = Supervisor.builder(home).processLauncher(fake).notifySockets(NO_SOCKETS).shutdownHook(false)
        .child(ChildSpec.builder("w").argv("/opt/w").notifySocket().instances(10).build()).build()) {
      s.startAsync().awaitHealthy(Duration.ofSeconds(5));
      assertThatThrownBy(() -> s.scale("w", 11)).isInstanceOf(UncheckedIOException.class).hasMessageContaining("longer than the 107 bytes");
      assertThatThrownBy(() -> s.scale("w", 11)).as("the retry too").isInstanceOf(UncheckedIOException.class);
      assertThat(fake.launches("w-10")).isZero();
      assertThat(s.status().child("w-10")).as("not half added").isEmpty();
      assertThat(s.children()).hasSize(10);
    }
  }
}
