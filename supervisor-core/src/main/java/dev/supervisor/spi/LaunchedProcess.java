package dev.supervisor.spi;

import dev.supervisor.ExitStatus;
import dev.supervisor.persist.ProcessSignature;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** A process a {@link ProcessLauncher} started: the leader of its own process group. Threadsafe. */
public interface LaunchedProcess {

  /** Its pid, which is also its process group id. */
  long pid();

  /**
   * Completes when it has exited, with the JDK's exit value: the exit code, or 128 + the signal
   * number when a signal ended it.
   */
  CompletableFuture<Integer> onExit();

  /**
   * Completes when it has exited, with how it ended. The default reads {@link #onExit()}'s exit
   * value ({@link ExitStatus#fromExitValue}); a launcher that reads the exact wait status (the
   * JDK 22+ layer: {@code exit(137)} apart from SIGKILL, core dumps) gives that.
   */
  default CompletableFuture<ExitStatus> onExitStatus() {
    return onExit().thenApply(ExitStatus::fromExitValue);
  }

  /**
   * Sends {@code signal} ({@code "TERM"}, {@code "KILL"}, ...) to its whole process group, and to
   * its descendants that left the group (those in its cgroup; the system launcher's SIGKILL kills
   * the whole cgroup); returns at once.
   */
  void signalGroup(String signal);

  /** SIGKILL to the whole group (and cgroup), waiting (briefly) until it is done: for shutdown paths. */
  void killGroupAndWait();

  /**
   * Its live processes, the leader excluded once it has exited (grandchildren left behind): the
   * members of its cgroup when it has one, else of its process group (and descendants found by
   * their parent chain).
   */
  List<Long> groupMembers();

  /** The cgroup the launcher made for this run (it and all its descendants are in it); empty when none. */
  default Optional<Path> cgroup() {
    return Optional.empty();
  }

  /**
   * Called once the run is over (its leader exited and, for a requested stop, its processes have
   * gone): kills whatever is left and frees what the launcher holds for the run, such as its
   * cgroup directory. May block for up to a few seconds: never called on the event loop.
   */
  default void release() {}

  /**
   * The supervisor hands the process over to a successor and stops watching it: any polling the
   * launcher does for it ends; the process keeps running. The default does nothing.
   */
  default void stopWatching() {}

  /** When it started, when the launcher knows better than the supervisor's clock (an adopted process); empty otherwise. */
  default Optional<java.time.Instant> startedAt() {
    return Optional.empty();
  }

  /** Its pid and start time, saved in the state file so a recovery can find it again; empty when it has none. */
  Optional<ProcessSignature> signature();
}
