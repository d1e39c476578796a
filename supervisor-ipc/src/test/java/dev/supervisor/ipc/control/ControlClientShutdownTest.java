package dev.supervisor.ipc.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * {@code shutdown} waits for the supervisor to stop answering. A server on its way out may answer
 * a poll with an error (BUSY, for a connection accepted as its workers shut down): that is a
 * supervisor still there, to be polled again, never a failure of the stop. Before, the error
 * escaped and {@code agentd daemon stop} failed with an empty stdout while the stop went on.
 */
class ControlClientShutdownTest {
  @TempDir Path dir;

  @Test
  void anErrorAnsweredToAPollIsPolledAgainUntilTheServerIsGone() throws Exception {
    Path socket = dir.resolve("c.sock");
    AtomicInteger refused = new AtomicInteger();
    AFUNIXServerSocket listener = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(socket));
    Thread serving = new Thread(() -> {
      try (listener) {
        while (refused.get() < 3) {
          try (AFUNIXSocket s = listener.accept()) {
            String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
            OutputStream out = s.getOutputStream();
            if (line.contains("\"shutdown\"")) {
              out.write("{\"type\":\"result\",\"stopping\":true}\n".getBytes(StandardCharsets.UTF_8));
            } else {
              refused.incrementAndGet();
              out.write("{\"type\":\"error\",\"code\":\"BUSY\",\"message\":\"server busy: 64 connections in use; try again\"}\n"
                  .getBytes(StandardCharsets.UTF_8));
            }
            out.flush();
          }
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, "test-server");
    serving.setDaemon(true);
    serving.start();
    try {
      assertThatCode(() -> ControlClient.of(socket, Duration.ofSeconds(5)).shutdown(Duration.ofSeconds(20)))
          .doesNotThrowAnyException();
      assertThat(refused.get()).isEqualTo(3);
    } finally {
      listener.close();
      serving.join(5_000);
    }
  }
}
