package dev.supervisor.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ChildSpec;
import dev.supervisor.Supervisor;
import dev.supervisor.event.ChildStateChanged;
import dev.supervisor.testing.FakeProcessLauncher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A listener with a direct executor runs on the loop: a blocking call from it is refused, never a deadlock. */
class DirectListenerTest {
  @TempDir Path home;

  @Test
  void aBlockingCallFromADirectListenerIsRefusedInsteadOfWaitingForItself() throws Exception {
    AtomicReference<Throwable> seen = new AtomicReference<>();
    Supervisor[] self = new Supervisor[1];
    try (Supervisor s = Supervisor.builder(home).processLauncher(new FakeProcessLauncher()).shutdownHook(false)
        .child(ChildSpec.builder("app").argv("/opt/app").build())
        .listener(e -> {
          if (e instanceof ChildStateChanged && seen.get() == null) {
            try {
              self[0].awaitHealthy(Duration.ofSeconds(30)); // waited 30 s for the loop it was blocking
              seen.set(new AssertionError("awaitHealthy returned on the loop"));
            } catch (Exception | Error x) {
              seen.set(x);
            }
          }
        }, Runnable::run).build()) {
      self[0] = s;
      s.startAsync();
      await().atMost(Duration.ofSeconds(5)).until(() -> seen.get() != null);
      assertThat(seen.get()).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("Supervisor.awaitHealthy called on the supervisor's own event loop");
      s.awaitHealthy(Duration.ofSeconds(5)); // and the supervisor goes on
    }
  }
}
