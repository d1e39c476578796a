package dev.supervisor.ipc.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.ChildSpec;
import dev.supervisor.ChildStatus;
import dev.supervisor.Incident;
import dev.supervisor.RestartExplanation;
import dev.supervisor.Supervisor;
import dev.supervisor.ipc.ErrorCode;
import dev.supervisor.ipc.JsonLineServer;
import dev.supervisor.ipc.Peer;
import dev.supervisor.ipc.PeerPolicy;
import dev.supervisor.ipc.RpcException;
import dev.supervisor.ipc.internal.Json;
import dev.supervisor.persist.PidLock;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Serves a supervisor's control socket (by convention {@code <home>/run/control.sock}):
 * <pre>
 * ping                                  anyone with a role      -> pong {pid, uptimeMs, version}
 * list, status, health, logs {name, lines}  VIEWER
 * explain {name, uptimeMs?, crashes?}   VIEWER  -> the child's restart policy, simulated (RestartExplanation)
 * incidents {name?, limit?}             VIEWER  -> recorded crashes, oldest first (all children when no name)
 * inspect {name}                        VIEWER  -> the effective spec (secrets masked), policy, recent runs, dependencies
 * start, stop, restart {name | "all"}   OPERATOR
 * scale {name, instances}               OPERATOR -> {"children":[...]}: instances of a child declared with instances(n)
 * enableWatch, disableWatch {name}     OPERATOR -> file-watch restarts of a child on or off
 * rollingRestart {perChildMs?}          OPERATOR -> {"restarted":[...]}: one at a time, in start order (blocks)
 * shutdown                              ADMIN
 * handOver {timeoutMs?}                 ADMIN   -> {supervisorPid, children:{name: pid}}: the supervisor ends and leaves
 *                                               its children running for the next one to adopt (Supervisor.handOver)
 * reloadConfig {perChildMs?}            ADMIN   -> {added, removed, restarted, unchanged}: the config re-read, only
 *                                               the difference applied (an invalid config: INVALID_ARGUMENT, nothing changed)
 * </pre>
 * A uid without a role cannot connect; a call above the caller's role is a {@code FORBIDDEN}
 * error naming the role it needs.
 */
public final class ControlServer implements AutoCloseable {
  /** The conventional socket of a supervisor home. */
  public static Path socketOf(Path home) {
    return home.resolve("run").resolve("control.sock");
  }

  /** What {@code reloadConfig} does; supplied by the host, which owns its configuration. Returns a one-line summary. */
  @FunctionalInterface
  public interface ConfigReloader {
    String reload() throws Exception;
  }

  private final Supervisor sup;
  private final Roles roles;
  private final ConfigReloader reloader;
  private final dev.supervisor.ConfigSource source;
  private volatile boolean handingOver;
  private final JsonLineServer server;

  private ControlServer(Supervisor sup, Path socket, Roles roles, ConfigReloader reloader, dev.supervisor.ConfigSource source) {
    this.sup = sup;
    this.roles = roles;
    this.reloader = reloader;
    this.source = source;
    this.server = JsonLineServer.builder(socket)
        .handler(this::handle)
        .peerPolicy(PeerPolicy.of("uids with a role in " + roles, p -> roles.roleOf(p.uid()).isPresent()))
        .version(PidLock.version())
        .build();
  }

  /**
   * Serves {@code sup} on {@code socket} with {@code roles}; {@code reloadConfig} answers UNSUPPORTED.
   *
   * @throws IOException if the socket cannot be bound (for example a live server holds it)
   */
  public static ControlServer serve(Supervisor sup, Path socket, Roles roles) throws IOException {
    return serve(sup, socket, roles, (ConfigReloader) null);
  }

  /**
   * As {@link #serve(Supervisor, Path, Roles)}, where {@code reloadConfig} re-reads the children
   * from {@code source} and applies the difference ({@link Supervisor#reload(dev.supervisor.ConfigSource, java.time.Duration)}):
   * it answers {@code {"added":[...], "removed":[...], "restarted":[...], "unchanged":[...]}}; a
   * source that throws a {@code ConfigException} changes nothing, and its message (file and field)
   * is the {@code INVALID_ARGUMENT} answer.
   */
  public static ControlServer serve(Supervisor sup, Path socket, Roles roles, dev.supervisor.ConfigSource source) throws IOException {
    return start(new ControlServer(Objects.requireNonNull(sup, "sup"), socket, Objects.requireNonNull(roles, "roles"), null,
        Objects.requireNonNull(source, "source")));
  }

  /** As {@link #serve(Supervisor, Path, Roles)}, with a {@code reloadConfig} action (may be null). */
  public static ControlServer serve(Supervisor sup, Path socket, Roles roles, ConfigReloader reloader) throws IOException {
    return start(new ControlServer(Objects.requireNonNull(sup, "sup"), socket, Objects.requireNonNull(roles, "roles"), reloader, null));
  }

  private static ControlServer start(ControlServer c) throws IOException {
    Supervisor sup = c.sup;
    c.server.start();
    // the socket goes away with the supervisor, so clients see it as down at once
    sup.addListener(e -> {
      if (e instanceof dev.supervisor.event.SupervisorStateChanged s && s.to().isTerminal()) {
        if (c.handingOver) { // its reply is still to be written, by a worker waiting on the loop that emits this
          Thread t = new Thread(c::close, "control-close");
          t.setDaemon(true);
          t.start();
        } else {
          c.close();
        }
      }
    }, Runnable::run);
    return c;
  }

  public Path socket() {
    return server.socket();
  }

  @Override
  public void close() {
    server.close();
  }

  private ObjectNode handle(ObjectNode req, Peer peer) throws RpcException {
    String type = req.path("type").asText();
    Role role = roles.roleOf(peer.uid()).orElseThrow(() -> new RpcException(ErrorCode.FORBIDDEN, peer + " has no role"));
    switch (type) {
      case "list":
        need(type, Role.VIEWER, role, peer);
        return list();
      case "status":
        need(type, Role.VIEWER, role, peer);
        return StatusJson.toJson(sup.status(), ProcessHandle.current().pid(), sup.startedAt(), sup.home(),
            sup.processLayer());
      case "logs":
        need(type, Role.VIEWER, role, peer);
        return logs(req);
      case "health":
        need(type, Role.VIEWER, role, peer);
        return health();
      case "explain":
        need(type, Role.VIEWER, role, peer);
        return explain(req);
      case "incidents":
        need(type, Role.VIEWER, role, peer);
        return incidents(req);
      case "inspect":
        need(type, Role.VIEWER, role, peer);
        return inspect(req);
      case "start":
        need(type, Role.OPERATOR, role, peer);
        return each(req, sup::start);
      case "stop":
        need(type, Role.OPERATOR, role, peer);
        return each(req, sup::stop);
      case "restart":
        need(type, Role.OPERATOR, role, peer);
        return each(req, sup::restart);
      case "scale":
        need(type, Role.OPERATOR, role, peer);
        try {
          ObjectNode scaled = Json.MAPPER.createObjectNode();
          sup.scale(childName(req), req.path("instances").asInt(-1)).forEach(scaled.putArray("children")::add);
          return scaled;
        } catch (IllegalArgumentException e) {
          throw new RpcException(ErrorCode.INVALID_ARGUMENT, e.getMessage());
        } catch (IllegalStateException e) {
          throw new RpcException(ErrorCode.UNSUPPORTED, e.getMessage());
        }
      case "enableWatch":
      case "disableWatch":
        need(type, Role.OPERATOR, role, peer);
        String watched = checkChild(childName(req));
        try {
          sup.setWatching(watched, type.equals("enableWatch"));
        } catch (IllegalArgumentException e) {
          throw new RpcException(ErrorCode.UNSUPPORTED, e.getMessage());
        }
        return Json.MAPPER.createObjectNode().put("name", watched).put("watching", sup.isWatching(watched));
      case "rollingRestart":
        need(type, Role.OPERATOR, role, peer);
        return rollingRestart(req);
      case "shutdown":
        need(type, Role.ADMIN, role, peer);
        Thread t = new Thread(sup::close, "control-shutdown");
        t.setDaemon(false);
        t.start();
        return Json.MAPPER.createObjectNode().put("stopping", true);
      case "handOver":
        need(type, Role.ADMIN, role, peer);
        return handOver(req);
      case "reloadConfig":
        need(type, Role.ADMIN, role, peer);
        if (source != null) {
          return reload(req);
        }
        if (reloader == null) {
          throw new RpcException(ErrorCode.UNSUPPORTED, "this supervisor was started without a config file to reload");
        }
        try {
          return Json.MAPPER.createObjectNode().put("reloaded", reloader.reload());
        } catch (Exception e) {
          throw new RpcException(ErrorCode.INVALID_ARGUMENT, "reloadConfig failed: " + e.getMessage());
        }
      default:
        throw new RpcException(ErrorCode.UNKNOWN_TYPE, "unknown request type '" + type
            + "' (known: ping, list, status, health, logs, explain, incidents, inspect, start, stop, restart, scale, enableWatch, disableWatch, rollingRestart, shutdown, handOver, reloadConfig)");
    }
  }

  /** {@code handOver}: ends the supervisor, its children left running; the reply lists them (then the socket goes). */
  private ObjectNode handOver(ObjectNode req) throws RpcException {
    long ms = req.path("timeoutMs").asLong(30_000);
    if (ms <= 0) {
      throw new RpcException(ErrorCode.INVALID_ARGUMENT, "'handOver' needs a positive \"timeoutMs\", got " + req.get("timeoutMs"));
    }
    handingOver = true; // the terminal event then closes this server from a thread of its own, after this reply
    boolean done = false;
    try {
      ObjectNode out = blocking("the hand-over", () -> {
        dev.supervisor.HandOver h = sup.handOver(java.time.Duration.ofMillis(ms));
        ObjectNode o = Json.MAPPER.createObjectNode().put("supervisorPid", h.supervisorPid()).put("at", h.at().toString());
        h.running().forEach(o.putObject("children")::put);
        return o;
      });
      done = true;
      return out;
    } finally {
      handingOver = done;
    }
  }

  private static void need(String type, Role needed, Role has, Peer peer) throws RpcException {
    if (!has.includes(needed)) {
      throw new RpcException(ErrorCode.FORBIDDEN, type + " needs role " + needed + "; " + peer + " has " + has);
    }
  }

  /** {"healthy":true} or {"healthy":false,"fatal":bool,"reason":"..."}: what awaitHealthy would say right now. */
  private ObjectNode health() {
    ObjectNode out = Json.MAPPER.createObjectNode();
    try {
      sup.awaitHealthy(java.time.Duration.ZERO);
      return out.put("healthy", true);
    } catch (java.util.concurrent.TimeoutException e) {
      return out.put("healthy", false).put("fatal", false).put("reason", e.getMessage());
    } catch (IllegalStateException e) {
      return out.put("healthy", false).put("fatal", true).put("reason", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return out.put("healthy", false).put("fatal", false).put("reason", "interrupted");
    }
  }

  private ObjectNode list() {
    ObjectNode out = Json.MAPPER.createObjectNode();
    ArrayNode arr = out.putArray("children");
    for (ChildStatus c : sup.status().children()) {
      arr.addObject().put("name", c.name()).put("state", c.state().name());
    }
    return out;
  }

  private String childName(ObjectNode req) throws RpcException {
    JsonNode name = req.get("name");
    if (name == null || !name.isTextual() || name.asText().isEmpty()) {
      throw new RpcException(ErrorCode.INVALID_ARGUMENT, "'" + req.path("type").asText() + "' needs a \"name\" (a child, or \"all\")");
    }
    return name.asText();
  }

  private ObjectNode each(ObjectNode req, Consumer<String> action) throws RpcException {
    String name = childName(req);
    List<String> names = new ArrayList<>();
    if (name.equals("all")) {
      for (ChildSpec c : sup.children()) {
        names.add(c.name());
      }
    } else {
      names.add(checkChild(name));
    }
    try {
      names.forEach(action);
    } catch (IllegalStateException e) {
      throw new RpcException(ErrorCode.UNSUPPORTED, e.getMessage());
    }
    ObjectNode out = Json.MAPPER.createObjectNode();
    ArrayNode arr = out.putArray("accepted");
    names.forEach(arr::add);
    return out;
  }

  private String checkChild(String name) throws RpcException {
    try {
      return sup.spec(name).name();
    } catch (IllegalArgumentException e) {
      throw new RpcException(ErrorCode.NOT_FOUND, e.getMessage());
    }
  }

  /** {"name","policy","uptimeMs","text","fatalAtCrash":n|null,"steps":[{"crash","atMs","action","delayMs","reason"}]}. */
  private ObjectNode explain(ObjectNode req) throws RpcException {
    String name = checkChild(childName(req));
    long uptimeMs = req.path("uptimeMs").asLong(0);
    int crashes = req.path("crashes").asInt(12);
    if (uptimeMs < 0 || crashes < 1 || crashes > 256) {
      throw new RpcException(ErrorCode.INVALID_ARGUMENT, "explain needs uptimeMs >= 0 and crashes in 1..256, got "
          + uptimeMs + " and " + crashes);
    }
    ChildSpec spec = sup.children().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    RestartExplanation x = spec.restartPolicy().explain(java.time.Duration.ofMillis(uptimeMs), crashes);
    ObjectNode out = Json.MAPPER.createObjectNode().put("name", name).put("policy", x.policy()).put("uptimeMs", uptimeMs)
        .put("text", x.text());
    if (x.fatalAtCrash().isPresent()) {
      out.put("fatalAtCrash", x.fatalAtCrash().getAsInt());
    } else {
      out.putNull("fatalAtCrash");
    }
    ArrayNode steps = out.putArray("steps");
    for (RestartExplanation.Step st : x.steps()) {
      ObjectNode o = steps.addObject().put("crash", st.crash()).put("atMs", st.at().toMillis())
          .put("action", st.decision().action().name());
      if (st.decision().delay().isPresent()) {
        o.put("delayMs", st.decision().delay().get().toMillis());
      } else {
        o.putNull("delayMs");
      }
      o.put("reason", st.decision().reason());
    }
    return out;
  }

  /** {"incidents":[...JsonForms.toJson(Incident)...]}: the newest {@code limit} (default 20), oldest first. */
  private ObjectNode incidents(ObjectNode req) throws RpcException {
    int limit = req.path("limit").asInt(20);
    if (limit < 1 || limit > 10_000) {
      throw new RpcException(ErrorCode.INVALID_ARGUMENT, "limit must be in 1..10000, got " + req.path("limit"));
    }
    List<String> names = new ArrayList<>();
    if (req.hasNonNull("name")) {
      names.add(checkChild(childName(req)));
    } else {
      sup.children().forEach(c -> names.add(c.name()));
    }
    List<Incident> all = new ArrayList<>();
    for (String n : names) {
      try {
        all.addAll(sup.incidents(n));
      } catch (IOException e) {
        throw new RpcException(ErrorCode.INTERNAL, "cannot read the incidents of '" + n + "': " + e.getMessage());
      }
    }
    all.sort(java.util.Comparator.comparing(Incident::at));
    ObjectNode out = Json.MAPPER.createObjectNode();
    ArrayNode arr = out.putArray("incidents");
    all.subList(Math.max(0, all.size() - limit), all.size()).forEach(i -> arr.add(dev.supervisor.json.JsonForms.toJson(i)));
    return out;
  }

  /** Names of variables whose values {@code inspect} masks. */
  private static final java.util.regex.Pattern SECRET = java.util.regex.Pattern.compile("(?i).*(KEY|SECRET|TOKEN|PASSWORD).*");

  private ObjectNode inspect(ObjectNode req) throws RpcException {
    String name = checkChild(childName(req));
    ChildSpec spec = sup.children().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    ObjectNode out = Json.MAPPER.createObjectNode().put("name", name);
    spec.argv().forEach(out.putArray("command")::add);
    out.put("workingDir", spec.workingDirectory().map(Object::toString).orElse(null));
    ObjectNode env = out.putObject("env");
    spec.effectiveEnv(sup.hostEnvironment()).forEach((k, v) -> env.put(k, SECRET.matcher(k).matches() ? "****" : v));
    out.put("policy", spec.restartPolicy().toString()).put("stopSignal", spec.stopSignal().name())
        .put("stopGraceMs", spec.stopGrace().toMillis()).put("logs", spec.logs().toString())
        .put("readiness", spec.readiness().isPresent() ? "probe" : spec.hasReadiness() ? "notify" : "none");
    spec.notifySettings().flatMap(ChildSpec.Notify::watchdog).ifPresent(w -> out.put("watchdogMs", w.toMillis()));
    spec.dependsOn().forEach(out.putArray("dependsOn")::add);
    if (!spec.sockets().isEmpty()) {
      spec.sockets().forEach(out.putArray("sockets")::add);
    }
    spec.watch().ifPresent(w -> {
      ObjectNode wn = out.putObject("watch").put("enabled", sup.isWatching(name)).put("debounceMs", w.debounce().toMillis());
      w.paths().forEach(p -> wn.withArray("paths").add(p.toString()));
      w.ignore().forEach(g -> wn.withArray("ignore").add(g));
    });
    ArrayNode dependents = out.putArray("dependents");
    sup.children().stream().filter(c -> c.dependsOn().contains(name)).forEach(c -> dependents.add(c.name()));
    sup.status().child(name).ifPresent(c -> {
      out.put("state", c.state().name()).put("restarts", c.restarts());
      c.privileges().ifPresent(p -> out.set("privileges", PrivilegesJson.toJson(p)));
    });
    ArrayNode runs = out.putArray("runs");
    for (dev.supervisor.RunRecord r : sup.runs(name)) {
      runs.addObject().put("runId", r.runId()).put("startedAt", r.startedAt().toString()).put("endedAt", r.endedAt().toString())
          .put("uptimeMs", r.uptime().toMillis()).put("exit", r.exit().toString()).put("automatic", r.automatic());
    }
    return out;
  }

  private ObjectNode rollingRestart(ObjectNode req) throws RpcException {
    java.time.Duration perChild = perChild(req);
    return blocking("the rolling restart", () -> {
      ObjectNode out = Json.MAPPER.createObjectNode();
      sup.rollingRestart(perChild).forEach(out.putArray("restarted")::add);
      return out;
    });
  }

  /** A supervisor call that waits: its answer, or its failure as the RPC error every such call gives. */
  @FunctionalInterface
  private interface Blocking {
    ObjectNode call() throws Exception;
  }

  /**
   * Runs {@code call}: a {@code TimeoutException} is {@code TIMEOUT}, a config error or bad
   * argument {@code INVALID_ARGUMENT}, a state that does not allow it {@code UNSUPPORTED}.
   */
  private static ObjectNode blocking(String what, Blocking call) throws RpcException {
    try {
      return call.call();
    } catch (dev.supervisor.ConfigException | IllegalArgumentException e) {
      throw new RpcException(ErrorCode.INVALID_ARGUMENT, e.getMessage());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new RpcException(ErrorCode.TIMEOUT, e.getMessage());
    } catch (IllegalStateException e) {
      throw new RpcException(ErrorCode.UNSUPPORTED, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RpcException(ErrorCode.INTERNAL, "interrupted during " + what);
    } catch (RpcException e) {
      throw e;
    } catch (Exception e) {
      throw new RpcException(ErrorCode.INTERNAL, what + " failed: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
    }
  }

  /** {@code perChildMs} (default 60 s): how long each child of a rolling restart or reload may take. */
  private static java.time.Duration perChild(ObjectNode req) throws RpcException {
    long perChild = req.path("perChildMs").asLong(60_000);
    if (perChild < 1 || perChild > 3_600_000) {
      throw new RpcException(ErrorCode.INVALID_ARGUMENT, "perChildMs must be in 1..3600000, got " + req.path("perChildMs"));
    }
    return java.time.Duration.ofMillis(perChild);
  }

  private ObjectNode reload(ObjectNode req) throws RpcException {
    java.time.Duration perChild = perChild(req);
    return blocking("the reload", () -> {
      dev.supervisor.ReloadResult r = sup.reload(source, perChild);
      ObjectNode out = Json.MAPPER.createObjectNode();
      r.added().forEach(out.putArray("added")::add);
      r.removed().forEach(out.putArray("removed")::add);
      r.restarted().forEach(out.putArray("restarted")::add);
      r.unchanged().forEach(out.putArray("unchanged")::add);
      return out;
    });
  }

  private ObjectNode logs(ObjectNode req) throws RpcException {
    String name = checkChild(childName(req));
    int lines = req.path("lines").asInt(100);
    if (lines < 1 || lines > 10_000) {
      throw new RpcException(ErrorCode.INVALID_ARGUMENT, "lines must be in 1..10000, got " + req.path("lines"));
    }
    Path file = sup.logFile(name).orElseThrow(() -> new RpcException(ErrorCode.NOT_FOUND, "child '" + name + "' does not log (LogConfig.discard())"));
    ObjectNode out = Json.MAPPER.createObjectNode().put("name", name).put("file", file.toString());
    ArrayNode arr = out.putArray("lines");
    try {
      for (String l : dev.supervisor.LogTail.lastLines(file, lines)) {
        arr.add(l);
      }
    } catch (IOException e) {
      throw new RpcException(ErrorCode.INTERNAL, "cannot read " + file + ": " + e.getMessage());
    }
    return out;
  }

  @Override
  public String toString() {
    return "ControlServer[" + server.socket() + ", " + roles + "]";
  }
}
