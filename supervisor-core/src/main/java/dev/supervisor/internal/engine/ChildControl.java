package dev.supervisor.internal.engine;

import dev.supervisor.ChildSpec;
import dev.supervisor.Incident;
import dev.supervisor.LogTail;
import dev.supervisor.RunRecord;
import dev.supervisor.Supervisor;
import dev.supervisor.SupervisorState;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The calls of {@link Supervisor} about one child, by name: the operator's start, stop and
 * restart (asynchronous: the desired state is set at once, the action is a loop task), and what
 * can be read of a child (spec, log, runs, incidents, file watching). Every call throws
 * {@link IllegalArgumentException} for an unknown name, with the known ones.
 */
public final class ChildControl {
  private final Engine engine;
  private final ChildTable table;
  private final Lifecycle life;
  private final Shutdown shutdown;
  private final IncidentRecorder incidents;

  ChildControl(Engine engine, ChildTable table, Lifecycle life, Shutdown shutdown, IncidentRecorder incidents) {
    this.engine = engine;
    this.table = table;
    this.life = life;
    this.shutdown = shutdown;
    this.incidents = incidents;
  }

  public void start(String name) {
    control(table.orThrow(name), true, ChildRunner::operatorStart);
  }

  public void stop(String name) {
    control(table.orThrow(name), false, ChildRunner::operatorStop);
  }

  public void restart(String name) {
    control(table.orThrow(name), true, ChildRunner::operatorRestart);
  }

  public ChildSpec spec(String name) {
    return table.orThrow(name).spec;
  }

  public Optional<Path> logFile(String name) {
    return table.orThrow(name).logFile();
  }

  public List<String> logTail(String name, int lines) throws IOException {
    Path file = logFile(name).orElseThrow(() -> new IllegalArgumentException("child '" + name + "' has no log file (logs are discarded)"));
    return LogTail.lastLines(file, lines);
  }

  public List<Incident> incidents(String name) throws IOException {
    table.orThrow(name);
    return incidents.read(name);
  }

  public void setWatching(String name, boolean on) {
    ChildRunner r = table.orThrow(name);
    if (r.spec.watch().isEmpty()) {
      throw new IllegalArgumentException("child '" + name + "' watches no files: give its spec watch(paths...)");
    }
    r.watch.enabled = on;
  }

  public boolean isWatching(String name) {
    ChildRunner r = table.orThrow(name);
    return r.spec.watch().isPresent() && r.watch.enabled;
  }

  /** The child's recent runs, read on the loop; empty once the supervisor has ended (or its loop is stuck). */
  public List<RunRecord> runs(String name) {
    ChildRunner r = table.orThrow(name);
    CompletableFuture<List<RunRecord>> f = new CompletableFuture<>();
    try {
      engine.loop().execute(() -> f.complete(r.history()));
      return f.get(5, TimeUnit.SECONDS);
    } catch (RejectedExecutionException | ExecutionException | TimeoutException e) {
      return List.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    }
  }

  private void control(ChildRunner r, boolean desiredRunning, Consumer<ChildRunner> action) {
    SupervisorState s = life.state();
    if (s != SupervisorState.STARTING && s != SupervisorState.RUNNING) {
      throw new IllegalStateException("supervisor is " + s + ": cannot control child '" + r.name() + "'");
    }
    r.setDesiredRunning(desiredRunning);
    r.pendingCommands.incrementAndGet();
    try {
      engine.loop().execute(() -> {
        try {
          if (!shutdown.begun()) {
            action.accept(r);
          }
        } finally {
          r.pendingCommands.decrementAndGet();
          engine.changed();
        }
      });
    } catch (RejectedExecutionException e) {
      r.pendingCommands.decrementAndGet();
      throw new IllegalStateException("supervisor is " + life.state() + ": cannot control child '" + r.name() + "'", e);
    }
  }
}
