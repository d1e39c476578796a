package dev.supervisor.spi;

import dev.supervisor.persist.ProcessSignature;
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

  /** Sends {@code signal} ({@code "TERM"}, {@code "KILL"}, ...) to its whole process group; returns at once. */
  void signalGroup(String signal);

  /** SIGKILL to the whole group, waiting (briefly) until it is sent: for shutdown paths. */
  void killGroupAndWait();

  /** Live processes of its group, the leader excluded once it has exited (grandchildren left behind). */
  List<Long> groupMembers();

  /** Its pid and start time, saved in the state file so a recovery can find it again; empty when it has none. */
  Optional<ProcessSignature> signature();
}
