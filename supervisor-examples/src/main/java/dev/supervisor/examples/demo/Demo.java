package dev.supervisor.examples.demo;

import dev.supervisor.Backoff;
import dev.supervisor.ChildSpec;
import dev.supervisor.RestartMode;
import dev.supervisor.RestartPolicy;
import dev.supervisor.Supervisor;
import dev.supervisor.event.ChildStateChanged;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Supervises three children for a while and prints their status whenever one changes state:
 * {@code ticker} runs steadily, {@code crashy} exits with code 1 every 3 s and is restarted with
 * backoff, {@code oneshot} prints a line and exits cleanly (not restarted).
 */
public final class Demo {
  private Demo() {}

  public static int run(String[] args) throws Exception {
    int seconds = 20;
    Path home = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--seconds":
          seconds = Integer.parseInt(args[++i]);
          break;
        case "--home":
          home = Path.of(args[++i]);
          break;
        default:
          System.err.println("demo: unknown option '" + args[i] + "' (use --seconds N, --home DIR)");
          return 2;
      }
    }
    if (home == null) {
      home = Files.createTempDirectory("supervisor-demo-");
    }
    RestartPolicy crashPolicy = RestartPolicy.of(RestartMode.ON_FAILURE, Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(4)))
        .restartForever();
    ScheduledExecutorService printer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "demo-printer");
      t.setDaemon(true);
      return t;
    });
    try (Supervisor sup = Supervisor.builder(home)
        .child(ChildSpec.builder("ticker").argv("sh", "-c", "while :; do date '+tick %T'; sleep 1; done").build())
        .child(ChildSpec.builder("crashy").argv("sh", "-c", "echo starting; sleep 3; echo 'failing on purpose' >&2; exit 1")
            .restartPolicy(crashPolicy).build())
        .child(ChildSpec.builder("oneshot").argv("sh", "-c", "echo hello from oneshot").dependsOn("ticker").build())
        .build()) {
      Supervisor s = sup;
      sup.addListener(e -> {
        if (e instanceof ChildStateChanged c) {
          System.out.printf("%s  %-8s %s -> %s%s%n", c.at().toString().substring(11, 23), c.name(), c.from(), c.to(),
              c.exit().map(x -> "  (" + x + ")").orElse(""));
        }
      }, printer);
      System.out.println("supervisor home: " + home + " (child logs in " + home.resolve("logs") + ")");
      sup.startAsync().awaitHealthy(Duration.ofSeconds(10));
      printer.scheduleAtFixedRate(() -> System.out.print("\n" + s.status().toTable() + "\n"), 5, 5, TimeUnit.SECONDS);
      System.out.println("running for " + seconds + " s; Ctrl-C stops everything");
      Thread.sleep(seconds * 1000L); // the demo's own run time, not a wait for a condition
      System.out.println("\nstopping...");
    }
    System.out.println("all children stopped");
    printer.shutdownNow();
    return 0;
  }
}
