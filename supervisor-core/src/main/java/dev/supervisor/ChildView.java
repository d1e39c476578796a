package dev.supervisor;

import java.nio.file.Path;

/**
 * What a {@link HealthCheck} knows of the run it probes.
 *
 * @param spec the child's spec
 * @param pid the pid of the run (also its process group id)
 * @param runId the run's id
 * @param logFile where the run's output goes, when it is logged
 */
public record ChildView(ChildSpec spec, long pid, long runId, java.util.Optional<Path> logFile) {
  public String name() {
    return spec.name();
  }
}
