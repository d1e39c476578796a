package dev.supervisor.internal.engine;

import dev.supervisor.Supervisor;
import dev.supervisor.SupervisorState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The supervisor's own end, on the loop: once begun, the children stop by dependency level, the
 * dependents first: a child's level is 0 without {@code dependsOn}, else one more than the
 * highest of its dependencies. Every child of a level gets its stop signal at once (last started
 * first), they are waited for together and killed together after their grace, and the next level
 * begins only when none of them has a process left; then the engine closes down. So a child
 * never outlives what it depends on, and 500 independent children stop in one grace, not in 500.
 * A hand-over ends it at once and stops nothing. Whether it has begun is read from other threads
 * too (volatile); the rest is loop-confined.
 */
final class Shutdown {
  private static final Logger log = LoggerFactory.getLogger(Supervisor.class);
  /** What the engine does at the two turns of its end. */
  interface Ending {
    /** It has begun: STOPPING is published, the periodic timers end. */
    void began();

    /** Every child is stopped (or was killed): the engine closes down into {@code terminal}. */
    void stopped(SupervisorState terminal);
  }

  private final List<ChildRunner> children;
  private final Ending ending;
  private volatile boolean begun;
  private boolean ended;
  /** The levels still to stop, highest first; each in reverse start order. */
  private List<List<ChildRunner>> levels = List.of();
  private int level;
  /** The children of the current level still stopping. */
  private final Set<ChildRunner> waiting = new HashSet<>();
  private SupervisorState terminal = SupervisorState.TERMINATED;

  Shutdown(List<ChildRunner> children, Ending ending) {
    this.children = children;
    this.ending = ending;
  }

  /** Whether the end has begun (a stop, a failure or a hand-over). */
  boolean begun() {
    return begun;
  }

  /** Begins the end, into {@code terminal} (TERMINATED, or FAILED after an internal error); idempotent. */
  void begin(SupervisorState terminal) {
    if (begun) {
      return;
    }
    begun = true;
    this.terminal = terminal;
    ending.began();
    levels = levels(children);
    level = 0;
    next();
  }

  /** {@code r} has no process any more: the next child stops, if it was the one waited for. */
  void settled(ChildRunner r) {
    if (begun && !ended && waiting.remove(r) && waiting.isEmpty()) {
      level++;
      next();
    }
  }

  /** The last step, now (also after a forced kill); idempotent. */
  void finish() {
    if (ended) {
      return;
    }
    ended = true;
    ending.stopped(terminal);
  }

  /** A hand-over: nothing is stopped and the engine closes down itself, into TERMINATED. */
  void handedOver() {
    begun = true;
    ended = true;
    terminal = SupervisorState.TERMINATED;
  }

  private void next() {
    while (level < levels.size()) {
      for (ChildRunner r : levels.get(level)) {
        try {
          if (r.stopForShutdown()) {
            waiting.add(r); // settled() goes on once every one of them has no process left
          }
        } catch (RuntimeException e) { // a bug: the rest of the level still stops, and this one is killed
          log.error("stopping child '{}' failed; killing it", r.name(), e);
          try {
            r.forceKill();
          } catch (RuntimeException e2) {
            log.error("killing child '{}' failed too", r.name(), e2);
          }
        }
      }
      if (!waiting.isEmpty()) {
        return;
      }
      level++;
    }
    finish();
  }

  /** The children by dependency level, highest level first, each level in reverse start order. */
  static List<List<ChildRunner>> levels(List<ChildRunner> live) {
    List<ChildRunner> children = List.copyOf(live); // one view of the table, which a reload may still change
    Map<String, ChildRunner> byName = new HashMap<>();
    for (ChildRunner r : children) {
      if (!r.retired) {
        byName.put(r.name(), r);
      }
    }
    Map<ChildRunner, Integer> memo = new HashMap<>();
    int top = 0;
    for (ChildRunner r : children) {
      top = Math.max(top, level(r, byName, memo, new HashSet<>()));
    }
    List<List<ChildRunner>> out = new ArrayList<>();
    for (int l = top; l >= 0; l--) {
      List<ChildRunner> these = new ArrayList<>();
      for (int i = children.size() - 1; i >= 0; i--) {
        if (memo.get(children.get(i)) == l) {
          these.add(children.get(i));
        }
      }
      out.add(these);
    }
    return out;
  }

  private static int level(ChildRunner r, Map<String, ChildRunner> byName, Map<ChildRunner, Integer> memo, Set<ChildRunner> path) {
    Integer known = memo.get(r);
    if (known != null) {
      return known;
    }
    int l = 0;
    if (path.add(r)) { // a cycle cannot pass build() or a reload; if one did, it is cut here rather than loop
      for (String dep : r.spec.dependsOn()) {
        ChildRunner d = byName.get(dep);
        if (d != null && !path.contains(d)) {
          l = Math.max(l, 1 + level(d, byName, memo, path));
        }
      }
      path.remove(r);
    }
    memo.put(r, l);
    return l;
  }
}
