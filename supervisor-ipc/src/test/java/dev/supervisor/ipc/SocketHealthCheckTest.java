package dev.supervisor.ipc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.Supervisor;
import dev.supervisor.event.HealthCheckFailed;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.TestChildren;
import dev.supervisor.testsupport.TestProcesses;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(ProcessLeakGuard.class)
class SocketHealthCheckTest {
  @TempDir Path home;

  @Test
  void aChildThatStopsAnsweringItsSocketIsRestarted() throws Exception {
    Path sock = home.resolve("run/child.sock");
    SocketHealthCheck ping = SocketHealthCheck.ping(sock, Duration.ofMillis(150));
    List<HealthCheckFailed> failures = new CopyOnWriteArrayList<>();
    ChildSpec child = ChildSpec.builder("pinger")
        .argv(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
            "-Xmx32m", "-XX:TieredStopAtLevel=1", PingServerMain.class.getName(), sock.toString())
        .env(dev.supervisor.testsupport.ProcessLeakGuard.MARK_VAR, ProcessLeakGuard.mark())
        .restartPolicy(TestChildren.fast())
        .readiness(ping, Duration.ofSeconds(30), Duration.ofMillis(50))
        .healthCheck(ping, Duration.ofMillis(200), 3, Duration.ZERO)
        .stopGrace(Duration.ofMillis(300))
        .build();
    try (Supervisor sup = Supervisor.builder(home).shutdownHook(false).child(child)
        .listener(e -> {
          if (e instanceof HealthCheckFailed f) {
            failures.add(f);
          }
        }, Runnable::run).build()) {
      sup.startAsync().awaitHealthy(Duration.ofSeconds(30));
      long hung = sup.status().child("pinger").orElseThrow().pid().getAsLong();
      TestProcesses.builder("kill", "-STOP", Long.toString(hung)).start().waitFor(); // alive, but answers nothing
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        var c = sup.status().child("pinger").orElseThrow();
        return c.state() == ChildState.READY && c.pid().getAsLong() != hung;
      });
      assertThat(failures).extracting(HealthCheckFailed::consecutive).startsWith(1, 2, 3);
      assertThat(failures.get(0).message()).isEqualTo("no pong from " + sock + " within 150 ms");
      assertThat(sup.status().child("pinger").orElseThrow().lastExit().orElseThrow().reason().orElseThrow())
          .startsWith("health check failed 3 times: no pong from ");
    }
  }
}
