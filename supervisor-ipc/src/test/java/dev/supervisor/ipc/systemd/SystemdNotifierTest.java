package dev.supervisor.ipc.systemd;

import static dev.supervisor.testsupport.TestChildren.sleeps;
import static org.assertj.core.api.Assertions.assertThat;

import dev.supervisor.Supervisor;
import dev.supervisor.testsupport.ProcessLeakGuard;
import java.net.DatagramPacket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** The test binds the notify socket as systemd would and reads what the supervisor sends. */
@ExtendWith(ProcessLeakGuard.class)
class SystemdNotifierTest {
  @TempDir Path dir;

  private static List<String> receive(AFUNIXDatagramSocket sock, long millis, java.util.function.Predicate<List<String>> done) throws Exception {
    List<String> got = new ArrayList<>();
    long deadline = System.nanoTime() + millis * 1_000_000;
    byte[] buf = new byte[4096];
    while (System.nanoTime() < deadline && !done.test(got)) {
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      sock.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      try {
        sock.receive(p);
      } catch (SocketTimeoutException e) {
        break;
      }
      got.add(new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8));
    }
    return got;
  }

  @Test
  void readyWatchdogStatusAndStoppingReachTheNotifySocket() throws Exception {
    Path notify = dir.resolve("notify.sock");
    try (AFUNIXDatagramSocket systemd = AFUNIXDatagramSocket.newInstance()) {
      systemd.bind(AFUNIXSocketAddress.of(notify));
      Optional<SystemdNotifier> fromEnv = SystemdNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", notify.toString(), "WATCHDOG_USEC", "200000"));
      assertThat(fromEnv).isPresent();
      Supervisor sup = Supervisor.builder(dir.resolve("home")).shutdownHook(false)
          .child(sleeps("a").build()).child(sleeps("b").build()).build();
      try (SystemdNotifier notifier = fromEnv.get()) {
        sup.startAsync();
        notifier.attach(sup);
        List<String> got = receive(systemd, 5000, g -> g.stream().filter(m -> m.equals("WATCHDOG=1")).count() >= 3
            && g.stream().anyMatch(m -> m.startsWith("READY=1")));
        assertThat(got).anySatisfy(m -> assertThat(m).startsWith("READY=1\nSTATUS=2/2 children up\nMAINPID="));
        assertThat(got).filteredOn(m -> m.equals("WATCHDOG=1")).hasSizeGreaterThanOrEqualTo(3);
        sup.close();
        List<String> after = receive(systemd, 3000, g -> g.stream().anyMatch(m -> m.startsWith("STOPPING=1")));
        assertThat(after).anySatisfy(m -> assertThat(m).isEqualTo("STOPPING=1\nSTATUS=stopping 2 children"));
      } finally {
        sup.close();
      }
    }
  }

  @Test
  void withoutNotifySocketThereIsNoNotifier() throws Exception {
    assertThat(SystemdNotifier.fromEnvironment(Map.of())).isEmpty();
  }

  @Test
  void theWatchdogBelongsToAnotherPidIsIgnored() throws Exception {
    Path notify = dir.resolve("n.sock");
    try (AFUNIXDatagramSocket systemd = AFUNIXDatagramSocket.newInstance()) {
      systemd.bind(AFUNIXSocketAddress.of(notify));
      SystemdNotifier n = SystemdNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", notify.toString(), "WATCHDOG_USEC", "100000",
          "WATCHDOG_PID", "1")).orElseThrow();
      Supervisor sup = Supervisor.builder(dir.resolve("home2")).shutdownHook(false).child(sleeps("a").build()).build();
      try (n) {
        sup.startAsync();
        n.attach(sup);
        List<String> got = receive(systemd, 600, g -> false);
        assertThat(got).noneMatch(m -> m.equals("WATCHDOG=1")).anySatisfy(m -> assertThat(m).startsWith("READY=1"));
      } finally {
        sup.close();
      }
    }
  }
}
