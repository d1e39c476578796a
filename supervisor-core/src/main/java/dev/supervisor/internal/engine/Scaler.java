package dev.supervisor.internal.engine;

import dev.supervisor.ChildSpec;
import dev.supervisor.Supervisor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link Supervisor#scale(String, int)}: grows a group of instances (new members at the end of the
 * start order, started at once; a name scaled away before gets its runner back) or shrinks it,
 * highest-numbered first, as operator stops. Runs on the caller's thread under the engine's
 * monitor.
 */
final class Scaler {
  private final Commands commands;
  private final ChildTable table;
  private final Instances instances;
  private final NotifySockets notifySockets;

  Scaler(Commands commands, ChildTable table, Instances instances, NotifySockets notifySockets) {
    this.commands = commands;
    this.table = table;
    this.instances = instances;
    this.notifySockets = notifySockets;
  }

  /**
   * The member names after scaling {@code name} to {@code n}; the caller holds the monitor.
   * {@code requireRunning} throws when the supervisor is no longer running (checked after the name).
   */
  List<String> scale(String name, int n, Runnable requireRunning) {
    if (n < 0 || n > ChildSpec.MAX_INSTANCES) {
      throw new IllegalArgumentException("instances must be in 0.." + ChildSpec.MAX_INSTANCES + ", got " + n);
    }
    int count = instances.count(Objects.requireNonNull(name, "name"));
    if (count < 0) {
      throw new IllegalArgumentException("'" + name + "' was not declared with instances(n)"
          + (instances.groups().isEmpty() ? "; no child was" : "; these were: " + String.join(", ", instances.groups())));
    }
    requireRunning.run();
    for (int i = count; i < n; i++) { // refuse a clash with another child before growing at all
      ChildRunner clash = table.get(name + "-" + i);
      if (clash != null && !clash.spec().instanceOf().equals(Optional.of(name))) {
        throw new IllegalArgumentException("cannot scale '" + name + "' to " + n + ": "
            + Instances.clash(clash.name(), clash.spec(), instances.template(name)));
      }
    }
    for (int i = count; i < n; i++) { // grow
      String member = name + "-" + i;
      ChildRunner r = table.get(member);
      if (r == null) {
        r = table.add(instances.template(name).instance(i));
      }
      try {
        notifySockets.bindIfNeeded(r); // also for a runner an earlier failed bind left without its socket
      } catch (RuntimeException e) {
        r.retired = true; // hidden until a scale that can bind it
        throw e;
      }
      r.retired = false;
      commands.start(member);
    }
    for (int i = count - 1; i >= n; i--) { // shrink, highest first
      String member = name + "-" + i;
      commands.stop(member);
      table.get(member).retired = true;
    }
    instances.setCount(name, n);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(name + "-" + i);
    }
    return out;
  }
}
