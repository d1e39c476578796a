package dev.supervisor.ipc.daemon;

import dev.supervisor.ChildSpec;
import dev.supervisor.Supervisor;
import dev.supervisor.ipc.control.ControlServer;
import dev.supervisor.ipc.control.Roles;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.TestChildren;
import dev.supervisor.testsupport.TestProcesses;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A foreground supervisor with a control socket: {@code DaemonMain HOME NAME=SCRIPT... NAME=direct:ARGV}; exits when shut down.
 * Its children carry its own leak-guard mark; started without one it refuses to run (exit 2).
 */
public final class DaemonMain {
  public static void main(String[] args) throws Exception {
    String mark = TestProcesses.requireMark(DaemonMain.class.getSimpleName());
    Path home = Path.of(args[0]);
    Supervisor.Builder b = Supervisor.builder(home).stateFlushInterval(Duration.ofSeconds(1));
    for (int i = 1; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      ChildSpec.Builder c = ChildSpec.builder(kv[0]).env(ProcessLeakGuard.MARK_VAR, mark).stopGrace(Duration.ofMillis(500));
      if (kv[1].startsWith("direct:")) { // argv without a shell, giving up after 2 restarts
        c.argv(kv[1].substring(7).split(" ")).restartPolicy(dev.supervisor.RestartPolicy.standard()
            .withBackoff(dev.supervisor.Backoff.fixed(Duration.ofMillis(10))).giveUpAfter(2, Duration.ofSeconds(60)));
      } else {
        c.argv("sh", "-c", kv[1]).restartPolicy(TestChildren.fast());
      }
      b.child(c.build());
    }
    Supervisor sup = b.build();
    sup.startAsync();
    ControlServer.serve(sup, ControlServer.socketOf(home), Roles.ownerOnly());
    sup.awaitStopped(Duration.ofDays(365));
  }
}
