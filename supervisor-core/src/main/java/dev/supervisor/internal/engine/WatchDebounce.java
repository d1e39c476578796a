package dev.supervisor.internal.engine;

import dev.supervisor.ChildState;
import dev.supervisor.event.WatchTriggered;
import dev.supervisor.spi.TimerClock;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One child's file-watch restarts: a change under a watched path ({@link Watcher}) restarts the
 * running child once its debounce has passed (on the supervisor's clock) with no further change.
 * Loop-confined, but for the on/off switch.
 */
final class WatchDebounce {
  private static final Logger log = LoggerFactory.getLogger(WatchDebounce.class);

  private final Engine engine;
  private final ChildRunner child;
  /** On for a child with a watch, until an operator turns it off. */
  volatile boolean enabled = true;
  private Path trigger;
  private TimerClock.Timer timer;

  WatchDebounce(Engine engine, ChildRunner child) {
    this.engine = engine;
    this.child = child;
  }

  private boolean running() {
    ChildState s = child.state();
    return s == ChildState.RUNNING || s == ChildState.READY;
  }

  /** A change under a watched path: (re)starts the debounce. */
  void changed(Path file) {
    if (!enabled || !child.desiredRunning() || engine.isShuttingDown() || !running()) {
      return;
    }
    trigger = file;
    cancel();
    long run = child.runId();
    timer = engine.schedule(() -> due(run), child.spec().watch().orElseThrow().debounce());
  }

  void cancel() {
    if (timer != null) {
      timer.cancel();
      timer = null;
    }
  }

  private void due(long run) {
    timer = null;
    if (run != child.runId() || !enabled || !running()) {
      return;
    }
    log.info("child '{}': {} changed; restarting it (watch)", child.name(), trigger);
    engine.emit(new WatchTriggered(engine.now(), child.name(), trigger));
    child.operatorRestart();
  }
}
