package dev.supervisor.ipc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.ChildView;
import dev.supervisor.HealthCheck;
import dev.supervisor.HealthResult;
import dev.supervisor.ipc.internal.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

/**
 * A {@link HealthCheck} that pings a child's JSON-lines socket: a child that is alive but hung
 * (it accepts nothing, or does not answer within the timeout) fails it, and after the spec's
 * {@code failuresToRestart} misses in a row it is restarted as a crash.
 *
 * <pre>{@code
 * ChildSpec.builder("validator").argv(...)
 *     .healthCheck(SocketHealthCheck.ping(runDir.resolve("validator.sock"), Duration.ofSeconds(2)), Duration.ofSeconds(15), 3)
 * }</pre>
 */
public final class SocketHealthCheck implements HealthCheck {
  private final Function<ChildView, Path> socket;
  private final Duration timeout;
  private final String description;

  private SocketHealthCheck(Function<ChildView, Path> socket, Duration timeout, String description) {
    this.socket = socket;
    this.timeout = timeout;
    this.description = description;
  }

  /** Pings {@code socket}; each ping must be answered within {@code timeout}. */
  public static SocketHealthCheck ping(Path socket, Duration timeout) {
    Objects.requireNonNull(socket, "socket");
    return new SocketHealthCheck(v -> socket, Objects.requireNonNull(timeout, "timeout"), "ping(" + socket + ", " + timeout + ")");
  }

  /** Pings the socket {@code socketOf} names for the child (for example by its name). */
  public static SocketHealthCheck ping(Function<ChildView, Path> socketOf, Duration timeout) {
    return new SocketHealthCheck(Objects.requireNonNull(socketOf, "socketOf"), Objects.requireNonNull(timeout, "timeout"), "ping(per child)");
  }

  @Override
  public HealthResult check(ChildView child) {
    Path path = socket.apply(child);
    ObjectNode ping = Json.MAPPER.createObjectNode().put("type", "ping");
    try {
      ObjectNode pong = JsonLineClient.of(path, timeout).call(ping);
      if (!"pong".equals(pong.path("type").asText())) {
        return HealthResult.unhealthy(path + " answered ping with " + pong.path("type").asText());
      }
      return HealthResult.ok();
    } catch (java.net.SocketTimeoutException e) {
      return HealthResult.unhealthy("no pong from " + path + " within " + timeout.toMillis() + " ms");
    } catch (IOException e) {
      return HealthResult.unhealthy("cannot ping " + path + ": " + e.getMessage());
    } catch (RpcException e) {
      return HealthResult.unhealthy(path + " answered ping with " + e);
    }
  }

  @Override
  public String toString() {
    return description;
  }
}
