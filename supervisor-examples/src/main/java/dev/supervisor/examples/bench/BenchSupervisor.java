package dev.supervisor.examples.bench;

import dev.supervisor.ChildSpec;
import dev.supervisor.LogConfig;
import dev.supervisor.Supervisor;
import java.nio.file.Path;

/** The supervisor that {@code bench recovery} kills and restarts: {@code BenchSupervisor HOME N} runs N sleeps until killed. */
public final class BenchSupervisor {
  private BenchSupervisor() {}

  public static void main(String[] args) throws Exception {
    Supervisor.Builder b = Supervisor.builder(Path.of(args[0])).eventLog(false);
    for (int i = 0; i < Integer.parseInt(args[1]); i++) {
      b.child(ChildSpec.builder("sleep-" + i).argv("sleep", "100000").logs(LogConfig.discard()).build());
    }
    b.build().startAsync();
    Thread.currentThread().join();
  }
}
