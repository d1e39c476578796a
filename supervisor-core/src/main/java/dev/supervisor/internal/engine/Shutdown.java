package dev.supervisor.internal.engine;

import dev.supervisor.SupervisorState;
import java.util.List;

/**
 * The supervisor's own end, on the loop: once begun, the children stop one at a time, last
 * started first, each only after the one before has no process left; then the engine closes
 * down. A hand-over ends it at once and stops nothing. Whether it has begun is read from other
 * threads too (volatile); the rest is loop-confined.
 */
final class Shutdown {
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
  private int cursor;
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
    cursor = children.size() - 1;
    next();
  }

  /** {@code r} has no process any more: the next child stops, if it was the one waited for. */
  void settled(ChildRunner r) {
    if (begun && cursor >= 0 && children.get(cursor) == r) {
      cursor--;
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
    while (cursor >= 0) {
      if (children.get(cursor).stopForShutdown()) {
        return; // settled() goes on
      }
      cursor--;
    }
    finish();
  }
}
