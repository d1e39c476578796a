package dev.supervisor.spi;

import dev.supervisor.ChildSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What to launch for one run of a child.
 *
 * @param spec the child's spec
 * @param runId the run this launch starts (1 for the first)
 * @param env the complete environment (the spec's allow-list, its variables, {@code NOTIFY_SOCKET},
 *     {@code LISTEN_FDS} and {@code LISTEN_FDNAMES}...)
 * @param logFile where stdout and stderr go (appended); empty to discard them
 * @param parentDeathSignal whether the process should get SIGKILL when the supervisor dies
 * @param listenFds socket activation: descriptors of the supervisor's process, listening sockets
 *     of {@link ChildSpec#sockets()} in that order, that the child must get as 3, 4, ... with
 *     {@code LISTEN_PID} set to its own pid; empty for a child without sockets. A launcher that
 *     cannot pass descriptors must refuse such a launch with an {@code IOException} saying so.
 */
public record LaunchRequest(ChildSpec spec, long runId, Map<String, String> env, Optional<Path> logFile, boolean parentDeathSignal,
    List<Integer> listenFds) {
  public LaunchRequest {
    Objects.requireNonNull(spec, "spec");
    env = Map.copyOf(env);
    Objects.requireNonNull(logFile, "logFile");
    listenFds = List.copyOf(listenFds);
  }

  /** A launch without sockets to pass. */
  public LaunchRequest(ChildSpec spec, long runId, Map<String, String> env, Optional<Path> logFile, boolean parentDeathSignal) {
    this(spec, runId, env, logFile, parentDeathSignal, List.of());
  }

  /** The command: {@code spec().argv()}. */
  public List<String> argv() {
    return spec.argv();
  }
}
