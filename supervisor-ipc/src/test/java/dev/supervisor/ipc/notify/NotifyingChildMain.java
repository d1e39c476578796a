package dev.supervisor.ipc.notify;

import dev.supervisor.ipc.systemd.SystemdNotifier;

/**
 * A Java child speaking the notify protocol with our own {@link SystemdNotifier}:
 * {@code NotifyingChildMain PINGS}: READY=1 with a STATUS, then WATCHDOG=1 every 100 ms PINGS
 * times, then it hangs (sleeps without pinging).
 */
public final class NotifyingChildMain {
  public static void main(String[] args) throws Exception {
    int pings = Integer.parseInt(args[0]);
    SystemdNotifier n = SystemdNotifier.fromEnvironment().orElseThrow(() -> new IllegalStateException("no NOTIFY_SOCKET"));
    Thread.sleep(200);
    n.send("READY=1\nSTATUS=serving from java");
    for (int i = 0; i < pings; i++) {
      Thread.sleep(100);
      n.send("WATCHDOG=1");
    }
    System.out.println("hanging now");
    Thread.sleep(Long.MAX_VALUE);
  }
}
