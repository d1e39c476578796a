package dev.supervisor.examples.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.ipc.JsonLineClient;
import dev.supervisor.ipc.JsonLineServer;
import dev.supervisor.ipc.control.ControlClient;
import dev.supervisor.ipc.daemon.DaemonHandle;
import dev.supervisor.ipc.daemon.DaemonSpec;
import dev.supervisor.ipc.daemon.Daemons;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/** {@code bench ipc} (round trips per second and latency) and {@code bench ensure} (ensureRunning warm and cold). */
final class IpcBench {
  private static final ObjectMapper JSON = new ObjectMapper();

  private IpcBench() {}

  static void ipc(int seconds) throws Exception {
    Path dir = Files.createTempDirectory("supervisor-bench-ipc-");
    Path sock = dir.resolve("run/bench.sock");
    try (JsonLineServer server = JsonLineServer.builder(sock)
        .handler((req, peer) -> JSON.createObjectNode().put("echo", req.path("n").asLong())).build().start()) {
      JsonLineClient client = JsonLineClient.of(sock, Duration.ofSeconds(5));
      System.out.printf("%nipc: one JSON line round trip (echo handler), %d s each, one client thread%n", seconds);
      System.out.printf("  %-26s %10s %8s %8s %8s%n", "", "per sec", "p50 us", "p99 us", "max us");
      measure("connection per message", seconds, () -> client.call(req()));
      try (JsonLineClient.Connection c = client.connect()) {
        measure("persistent connection", seconds, () -> c.call(req()));
      }
    }
  }

  private interface Call {
    void run() throws Exception;
  }

  private static ObjectNode req() {
    return JSON.createObjectNode().put("type", "echo").put("n", 1);
  }

  private static void measure(String name, int seconds, Call call) throws Exception {
    for (int i = 0; i < 2000; i++) {
      call.run(); // warm-up
    }
    long[] lat = new long[2_000_000];
    int n = 0;
    long t0 = System.nanoTime();
    long end = t0 + seconds * 1_000_000_000L;
    while (n < lat.length) {
      long s = System.nanoTime();
      if (s >= end) {
        break;
      }
      call.run();
      lat[n++] = System.nanoTime() - s;
    }
    double rate = n / ((System.nanoTime() - t0) / 1e9);
    long[] sorted = Arrays.copyOf(lat, n);
    Arrays.sort(sorted);
    System.out.printf("  %-26s %10.0f %8.1f %8.1f %8.1f%n", name, rate, sorted[n / 2] / 1e3, sorted[(int) (n * 0.99)] / 1e3,
        sorted[n - 1] / 1e3);
  }

  static void ensure(int warmCalls) throws Exception {
    Path home = Files.createTempDirectory("supervisor-bench-ensure-");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    DaemonSpec spec = DaemonSpec.of(home, List.of(java, "-cp", dev.supervisor.examples.launcher.Trio.absoluteClassPath(), "-XX:TieredStopAtLevel=1",
        BenchDaemon.class.getName(), home.toString(), "3"));
    long c0 = System.nanoTime();
    DaemonHandle h = Daemons.ensureRunning(spec);
    long cold = System.nanoTime() - c0;
    long[] warm = new long[warmCalls];
    try {
      for (int i = 0; i < warmCalls; i++) {
        long s = System.nanoTime();
        DaemonHandle again = Daemons.ensureRunning(spec);
        warm[i] = System.nanoTime() - s;
        if (again.startedByThisCall()) {
          throw new IllegalStateException("a second supervisor was started");
        }
      }
    } finally {
      ControlClient.of(h.controlSocket()).shutdown(Duration.ofSeconds(30));
    }
    Arrays.sort(warm);
    System.out.printf("%nensure: Daemons.ensureRunning, supervisor with 3 children%n");
    System.out.printf("  cold (JVM start to all children up)  %8.1f ms%n", cold / 1e6);
    System.out.printf("  already running, %d calls: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n", warmCalls, warm[warmCalls / 2] / 1e6,
        warm[(int) (warmCalls * 0.99)] / 1e6, warm[warmCalls - 1] / 1e6);
  }
}
