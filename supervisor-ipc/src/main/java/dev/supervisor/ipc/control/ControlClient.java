package dev.supervisor.ipc.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.SupervisorStatus;
import dev.supervisor.ipc.JsonLineClient;
import dev.supervisor.ipc.RpcException;
import dev.supervisor.ipc.internal.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

/** A typed client of a {@link ControlServer}; one connection per call. Threadsafe. */
public final class ControlClient {
  /**
   * A {@code ping} answer.
   *
   * @param pid the supervisor's pid
   * @param uptime since its control server started
   * @param version its library version
   */
  public record Pong(long pid, Duration uptime, String version) {}

  private final JsonLineClient client;

  private ControlClient(JsonLineClient client) {
    this.client = client;
  }

  /** A client of the control socket {@code socket}, calls answered within 10 s. */
  public static ControlClient of(Path socket) {
    return of(socket, Duration.ofSeconds(10));
  }

  public static ControlClient of(Path socket, Duration timeout) {
    return new ControlClient(JsonLineClient.of(socket, timeout));
  }

  /** @throws IOException if nothing answers (no supervisor, or a hung one) */
  public Pong ping() throws IOException, RpcException {
    ObjectNode r = call("ping");
    return new Pong(r.path("pid").asLong(), Duration.ofMillis(r.path("uptimeMs").asLong()), r.path("version").asText());
  }

  /** The children's names and states, in start order. */
  public List<String> list() throws IOException, RpcException {
    List<String> out = new ArrayList<>();
    for (JsonNode c : call("list").path("children")) {
      out.add(c.path("name").asText());
    }
    return out;
  }

  public SupervisorStatus status() throws IOException, RpcException {
    return StatusJson.fromJson(statusJson());
  }

  /** The status in its wire form (what {@code status --json} prints). */
  public ObjectNode statusJson() throws IOException, RpcException {
    ObjectNode r = call("status");
    r.remove("type");
    r.remove("id");
    return r;
  }

  /**
   * Whether every child is up right now (what {@code Supervisor.awaitHealthy} would say).
   *
   * @param healthy all children up
   * @param fatal health can no longer be reached without an operator (a FATAL child)
   * @param reason which children are not up, when not healthy
   */
  public record Health(boolean healthy, boolean fatal, String reason) {}

  public Health health() throws IOException, RpcException {
    ObjectNode r = call("health");
    return new Health(r.path("healthy").asBoolean(), r.path("fatal").asBoolean(), r.path("reason").asText(""));
  }

  /** The last {@code lines} lines of the child's log. */
  public List<String> logs(String name, int lines) throws IOException, RpcException {
    List<String> out = new ArrayList<>();
    for (JsonNode l : client.call(req("logs").put("name", name).put("lines", lines)).path("lines")) {
      out.add(l.asText());
    }
    return out;
  }

  /**
   * The child's restart policy explained: what it would do over {@code crashes} crashes in a
   * row, each run lasting {@code uptime} (the wire form of {@link dev.supervisor.RestartExplanation};
   * {@code text} holds it in words).
   */
  public ObjectNode explain(String name, java.time.Duration uptime, int crashes) throws IOException, RpcException {
    return client.call(req("explain").put("name", name).put("uptimeMs", uptime.toMillis()).put("crashes", crashes));
  }

  /**
   * The newest {@code limit} incidents (crashes and hang-kills) of {@code name}, or of every
   * child when {@code name} is null, oldest first.
   */
  public List<dev.supervisor.Incident> incidents(String name, int limit) throws IOException, RpcException {
    ObjectNode r = req("incidents").put("limit", limit);
    if (name != null) {
      r.put("name", name);
    }
    List<dev.supervisor.Incident> out = new ArrayList<>();
    for (JsonNode i : client.call(r).path("incidents")) {
      out.add(dev.supervisor.json.JsonForms.incident(i));
    }
    return out;
  }

  /**
   * Restarts the children one at a time in start order, each after the previous is up again;
   * waits for the whole run (up to {@code perChild} for each child).
   *
   * @return the children restarted
   * @throws RpcException {@code TIMEOUT} naming the child that did not come back and those left untouched
   */
  public List<String> rollingRestart(Duration perChild, int children) throws IOException, RpcException {
    JsonLineClient patient = JsonLineClient.of(client.socket(), perChild.multipliedBy(Math.max(1, children)).plusSeconds(10));
    List<String> out = new ArrayList<>();
    for (JsonNode n : patient.call(req("rollingRestart").put("perChildMs", perChild.toMillis())).path("restarted")) {
      out.add(n.asText());
    }
    return out;
  }

  /** The child's effective spec (values of variables named like keys, secrets, tokens, passwords masked), policy, runs, dependencies. */
  public ObjectNode inspect(String name) throws IOException, RpcException {
    return client.call(req("inspect").put("name", name));
  }

  /** Sets the number of instances of a child declared with instances(n); returns their names. */
  public List<String> scale(String name, int instances) throws IOException, RpcException {
    List<String> out = new ArrayList<>();
    for (JsonNode n : client.call(req("scale").put("name", name).put("instances", instances)).path("children")) {
      out.add(n.asText());
    }
    return out;
  }

  /** Turns the child's file-watch restarts on or off. @throws RpcException UNSUPPORTED for a child that watches nothing */
  public void setWatching(String name, boolean on) throws IOException, RpcException {
    client.call(req(on ? "enableWatch" : "disableWatch").put("name", name));
  }

  /** Starts a child, or every child with {@code "all"}. */
  public void start(String name) throws IOException, RpcException {
    client.call(req("start").put("name", name));
  }

  public void stop(String name) throws IOException, RpcException {
    client.call(req("stop").put("name", name));
  }

  public void restart(String name) throws IOException, RpcException {
    client.call(req("restart").put("name", name));
  }

  /** Asks for {@code reloadConfig}; returns the supervisor's summary of what changed. */
  public String reloadConfig() throws IOException, RpcException {
    return call("reloadConfig").path("reloaded").asText();
  }

  /**
   * Asks for {@code reloadConfig} on a supervisor served with a config source: it re-reads its
   * config and applies the difference, waiting up to {@code perChild} for each child it stops or
   * restarts.
   *
   * @return {@code {added, removed, restarted, unchanged}}, arrays of names
   * @throws RpcException {@code INVALID_ARGUMENT} with the config's error (file and field) when it is invalid: nothing changed
   */
  public ObjectNode reload(Duration perChild, int children) throws IOException, RpcException {
    JsonLineClient patient = JsonLineClient.of(client.socket(), perChild.multipliedBy(Math.max(1, children)).plusSeconds(10));
    return patient.call(req("reloadConfig").put("perChildMs", perChild.toMillis()));
  }

  /**
   * Asks the supervisor to stop everything and exit, and waits until its socket stops answering.
   * A poll answered with an error (BUSY from a server on its way out) counts as still answering.
   *
   * @throws TimeoutException if it still answers after {@code timeout}
   */
  public void shutdown(Duration timeout) throws IOException, RpcException, TimeoutException, InterruptedException {
    call("shutdown");
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        ping();
      } catch (IOException e) {
        return; // gone
      } catch (RpcException e) {
        // still there, answering as it goes: poll again
      }
      Thread.sleep(20); // polling a remote process: nothing to wait on locally
    }
    throw new TimeoutException("supervisor at " + client.socket() + " still answers " + timeout.toMillis() + " ms after shutdown");
  }

  /**
   * Asks for {@code handOver}: the supervisor ends and leaves its children running, recorded for
   * the next supervisor on its home to adopt ({@code Supervisor.handOver}).
   *
   * @param timeout how long a child that is stopping may take to settle first
   * @return {@code {supervisorPid, at, children: {name: pid}}}
   * @throws RpcException {@code UNSUPPORTED} when it cannot hand over (its children would die with
   *     it, a stop outlasted {@code timeout}): nothing changed
   */
  public ObjectNode handOver(Duration timeout) throws IOException, RpcException {
    JsonLineClient patient = JsonLineClient.of(client.socket(), timeout.plusSeconds(40));
    return patient.call(req("handOver").put("timeoutMs", Math.max(1, timeout.toMillis())));
  }

  private ObjectNode call(String type) throws IOException, RpcException {
    return client.call(req(type));
  }

  private static ObjectNode req(String type) {
    return Json.MAPPER.createObjectNode().put("type", type);
  }
}
