package dev.supervisor.ipc.daemon;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Calls ensureRunning for a DaemonMain on HOME and prints {@code started PID} or {@code existing PID}. */
public final class EnsureMain {
  public static void main(String[] args) throws Exception {
    Path home = Path.of(args[0]);
    List<String> cmd = new ArrayList<>(DaemonTest.daemonCommand(home));
    for (int i = 1; i < args.length; i++) {
      cmd.add(args[i]);
    }
    DaemonHandle h = Daemons.ensureRunning(DaemonSpec.of(home, cmd));
    System.out.println((h.startedByThisCall() ? "started " : "existing ") + h.pid());
  }
}
