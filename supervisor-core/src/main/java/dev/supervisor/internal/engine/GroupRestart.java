package dev.supervisor.internal.engine;

import dev.supervisor.ExitStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One ONE_FOR_ALL / REST_FOR_ONE restart in progress: the exited child waits out its backoff
 * while its siblings are stopped (reverse start order is not needed: each stops on its own
 * signal); when both are done, all members start again in start order. Loop-confined.
 */
final class GroupRestart {
  private final ChildRunner cause;
  private final List<ChildRunner> members = new ArrayList<>();
  private final Set<ChildRunner> stillStopping = new LinkedHashSet<>();
  private boolean delayElapsed;
  private boolean done;

  GroupRestart(ChildRunner cause) {
    this.cause = cause;
    members.add(cause);
  }

  String cause() {
    return "'" + cause.name() + "'";
  }

  /** Adds the siblings, then schedules the exited child's backoff. */
  void begin(List<ChildRunner> siblings, ExitStatus exit, Duration delay, String why) {
    cause.setGroup(this);
    for (ChildRunner s : siblings) {
      stillStopping.add(s);
      members.add(s);
      if (!s.joinGroup(this)) {
        stillStopping.remove(s);
        members.remove(s);
      }
    }
    cause.scheduleRestart(exit, delay, why, this::delayElapsed);
  }

  private void delayElapsed() {
    delayElapsed = true;
    maybeStart();
  }

  void memberStopped(ChildRunner r) {
    stillStopping.remove(r);
    maybeStart();
  }

  void memberLeft(ChildRunner r) {
    members.remove(r);
    stillStopping.remove(r);
    if (r == cause) {
      delayElapsed = true;
    }
    maybeStart();
  }

  private void maybeStart() {
    if (done || !delayElapsed || !stillStopping.isEmpty()) {
      return;
    }
    done = true;
    List<ChildRunner> ordered = new ArrayList<>(members);
    ordered.sort(Comparator.comparingInt(r -> r.index));
    for (ChildRunner r : ordered) {
      r.groupStart();
    }
  }
}
