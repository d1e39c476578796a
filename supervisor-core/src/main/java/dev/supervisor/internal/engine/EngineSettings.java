package dev.supervisor.internal.engine;

import dev.supervisor.ChildSpec;
import dev.supervisor.NotifySocketFactory;
import dev.supervisor.OrphanPolicy;
import dev.supervisor.StormBreaker;
import dev.supervisor.Strategy;
import dev.supervisor.SupervisorListener;
import dev.supervisor.persist.StateStore;
import dev.supervisor.spi.ProcessLauncher;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * What {@link dev.supervisor.Supervisor.Builder} hands the engine: its values, checked and
 * copied, so that the engine never reads the builder (which stays the caller's, and mutable).
 *
 * @param stateStore null for the default, {@code home/state.json}
 * @param notifySockets null when no child uses the notify protocol (the builder checked)
 * @param listeners in registration order
 */
public record EngineSettings(
    Path home,
    List<ChildSpec> children,
    Strategy strategy,
    Duration shutdownTimeout,
    Duration logCheckInterval,
    Clock clock,
    boolean shutdownHook,
    boolean eventLog,
    Map<String, String> hostEnv,
    boolean pidLock,
    StateStore stateStore,
    OrphanPolicy orphanPolicy,
    boolean parentDeathSignal,
    Duration stateFlushInterval,
    StormBreaker stormBreaker,
    int incidentsKept,
    NotifySocketFactory notifySockets,
    ProcessLauncher launcher,
    Map<SupervisorListener, Executor> listeners) {

  public EngineSettings {
    children = List.copyOf(children);
    hostEnv = Map.copyOf(hostEnv);
    listeners = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(listeners));
  }
}
