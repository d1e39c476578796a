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
 * @param env the complete environment (the spec's allow-list, its variables, {@code NOTIFY_SOCKET}...)
 * @param logFile where stdout and stderr go (appended); empty to discard them
 * @param parentDeathSignal whether the process should get SIGKILL when the supervisor dies
 */
public record LaunchRequest(ChildSpec spec, long runId, Map<String, String> env, Optional<Path> logFile, boolean parentDeathSignal) {
  public LaunchRequest {
    Objects.requireNonNull(spec, "spec");
    env = Map.copyOf(env);
    Objects.requireNonNull(logFile, "logFile");
  }

  /** The command: {@code spec().argv()}. */
  public List<String> argv() {
    return spec.argv();
  }
}
