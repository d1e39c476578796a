package dev.supervisor.internal.engine;

import dev.supervisor.ChildState;
import dev.supervisor.ExitStatus;
import dev.supervisor.persist.PersistedState;
import dev.supervisor.persist.ProcessSignature;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/** What other threads may read of a child: one consistent view, published by its runner after every change. */
record ChildSnapshot(ChildState state, OptionalLong pid, long runId, Optional<Instant> startedAt, int restarts,
    Optional<ExitStatus> lastExit, Optional<Instant> lastExitAt, Optional<Instant> nextRestartAt,
    Optional<String> reason, boolean desiredRunning, Optional<ProcessSignature> process, int consecutiveFailures,
    Optional<String> statusText, Optional<Path> cgroup) {

  PersistedState.Child toPersisted(String name) {
    return new PersistedState.Child(name, desiredRunning, state.name(), process, runId, restarts, consecutiveFailures,
        lastExit, state == ChildState.FATAL, reason, cgroup.map(Path::toString));
  }
}
