package dev.supervisor;

import java.util.Objects;

/**
 * The outcome of one {@link HealthCheck}.
 *
 * @param passed whether the child passed
 * @param message why not (or a short note when healthy)
 */
public record HealthResult(boolean passed, String message) {
  public HealthResult {
    Objects.requireNonNull(message, "message");
  }

  public static HealthResult ok() {
    return new HealthResult(true, "ok");
  }

  public static HealthResult unhealthy(String message) {
    return new HealthResult(false, message);
  }
}
