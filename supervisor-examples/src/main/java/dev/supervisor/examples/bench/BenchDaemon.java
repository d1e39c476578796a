package dev.supervisor.examples.bench;

import dev.supervisor.ChildSpec;
import dev.supervisor.LogConfig;
import dev.supervisor.Supervisor;
import dev.supervisor.ipc.control.ControlServer;
import dev.supervisor.ipc.control.Roles;
import java.nio.file.Path;
import java.time.Duration;

/** The supervisor {@code bench ensure} starts: {@code BenchDaemon HOME N} serves its control socket with N sleeps until shut down. */
public final class BenchDaemon {
  private BenchDaemon() {}

  public static void main(String[] args) throws Exception {
    Path home = Path.of(args[0]);
    Supervisor.Builder b = Supervisor.builder(home).eventLog(false);
    for (int i = 0; i < Integer.parseInt(args[1]); i++) {
      b.child(ChildSpec.builder("sleep-" + i).argv("sleep", "100000").logs(LogConfig.discard()).build());
    }
    Supervisor sup = b.build();
    sup.startAsync();
    ControlServer.serve(sup, ControlServer.socketOf(home), Roles.ownerOnly());
    sup.awaitStopped(Duration.ofDays(3650));
  }
}
