package dev.supervisor.persist;

import dev.supervisor.ExitStatus;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the supervisor records so that its own crash loses nothing.
 *
 * @param schemaVersion the file format version ({@value #SCHEMA_VERSION} is written)
 * @param savedAt when it was written
 * @param supervisor the supervisor process that wrote it
 * @param children one entry per child
 * @param handedOverAt when the supervisor that wrote it ended by {@code Supervisor.handOver}, leaving
 *     its children running for a successor to adopt; empty for every other save (an optional field,
 *     so files without it, and readers that do not know it, still work)
 */
public record PersistedState(int schemaVersion, Instant savedAt, Optional<ProcessSignature> supervisor, List<Child> children,
    Optional<Instant> handedOverAt) {
  /** The version this library writes and the newest it reads. */
  public static final int SCHEMA_VERSION = 1;

  public PersistedState {
    Objects.requireNonNull(savedAt, "savedAt");
    Objects.requireNonNull(supervisor, "supervisor");
    children = List.copyOf(children);
    Objects.requireNonNull(handedOverAt, "handedOverAt");
  }

  /** A state saved by a running supervisor (not a hand-over). */
  public PersistedState(int schemaVersion, Instant savedAt, Optional<ProcessSignature> supervisor, List<Child> children) {
    this(schemaVersion, savedAt, supervisor, children, Optional.empty());
  }

  /** The entry for {@code name}. */
  public Optional<Child> child(String name) {
    return children.stream().filter(c -> c.name().equals(name)).findFirst();
  }

  /**
   * One child's record.
   *
   * @param name the child
   * @param desiredRunning false when an operator stopped it (it stays stopped across restarts of the supervisor)
   * @param state its state when written ({@code ChildState} name)
   * @param process the live run's process, when it had one
   * @param runId the latest run id
   * @param restarts restarts so far
   * @param consecutiveFailures failures in a row at the end of its history
   * @param lastExit how its previous run ended
   * @param fatal whether its policy had given up (it stays FATAL until an operator restarts it)
   * @param reason the latest decision in a sentence
   * @param cgroup the cgroup directory of the live run, when it has one: recovery kills what is left
   *     in it (an optional field, so files without it, and readers that do not know it, still work)
   */
  public record Child(String name, boolean desiredRunning, String state, Optional<ProcessSignature> process, long runId,
      int restarts, int consecutiveFailures, Optional<ExitStatus> lastExit, boolean fatal, Optional<String> reason,
      Optional<String> cgroup) {
    public Child {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(process, "process");
      Objects.requireNonNull(lastExit, "lastExit");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(cgroup, "cgroup");
    }

    /** A record without a cgroup (as written before cgroups were recorded). */
    public Child(String name, boolean desiredRunning, String state, Optional<ProcessSignature> process, long runId,
        int restarts, int consecutiveFailures, Optional<ExitStatus> lastExit, boolean fatal, Optional<String> reason) {
      this(name, desiredRunning, state, process, runId, restarts, consecutiveFailures, lastExit, fatal, reason, Optional.empty());
    }
  }
}
