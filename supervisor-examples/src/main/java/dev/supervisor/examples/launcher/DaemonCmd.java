package dev.supervisor.examples.launcher;

import dev.supervisor.Durations;
import dev.supervisor.Supervisor;
import dev.supervisor.SupervisorStatus;
import dev.supervisor.ipc.RpcException;
import dev.supervisor.ipc.control.ControlClient;
import dev.supervisor.ipc.daemon.DaemonHandle;
import dev.supervisor.ipc.daemon.DaemonSpec;
import dev.supervisor.ipc.daemon.DaemonStartException;
import dev.supervisor.ipc.daemon.Daemons;
import dev.supervisor.persist.PidLock;
import dev.supervisor.persist.ProcessSignature;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code agentd daemon ...}: the supervisor's life (start, stop, restart, upgrade, reload, run) and what it is asked (status, explain, scale). */
@Command(name = "daemon", description = "start | stop | restart | upgrade | reload | run | status | explain | serve | login-url | scale | kill")
final class DaemonCmd {
  @ParentCommand Agentd top;

  @Command(name = "start", description = "start the supervisor and its children in the background; returns once all are"
      + " ready. With NAME: start that child (stopped, EXITED or FATAL) and wait until it is up")
  int start(@Parameters(paramLabel = "NAME", arity = "0..1", description = "a child") String name,
      @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "60s",
          description = "with NAME: how long the child may take to come up (default 60s; 0: only ask)") String wait) throws Exception {
    return name != null ? child("start", name, wait) : startSupervisor();
  }

  int startSupervisor() throws Exception {
    AgentdHome h = top.home();
    DaemonHandle d;
    try {
      d = top.ensure(h);
    } catch (DaemonStartException e) {
      return top.startFailed(h, e);
    }
    if (!d.startedByThisCall()) {
      List<String> stuck = top.stuckChildren(h, d.pid());
      if (!stuck.isEmpty()) {
        stuck.forEach(top.err()::println);
        return 1;
      }
    }
    top.out().println(d.startedByThisCall() ? "agentd started (pid " + d.pid() + "), home " + h.root()
        : "agentd already running (pid " + d.pid() + "), home " + h.root());
    if (top.http != null) {
      printLoginUrl(h, Duration.ofSeconds(10));
    }
    return 0;
  }

  @Command(name = "stop", description = "stop the children (gracefully, then forced) and the supervisor. With NAME: stop that"
      + " child only, which stays stopped until 'daemon start NAME'")
  int stop(@Parameters(paramLabel = "NAME", arity = "0..1", description = "a child") String name,
      @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "60s",
          description = "with NAME: how long the child may take to stop (default 60s; 0: only ask)") String wait) throws Exception {
    return name != null ? child("stop", name, wait) : stopSupervisor();
  }

  int stopSupervisor() throws Exception {
    AgentdHome h = top.home();
    long pid;
    Optional<ProcessSignature> jvm;
    try {
      pid = Liveness.ask(h.root(), top.timeout(), t -> ControlClient.of(h.controlSocket(), t).ping().pid());
      jvm = ProcessSignature.of(pid); // taken now: a recycled pid is never waited for
    } catch (Liveness.NoAnswer e) {
      if (e.code() == Agentd.NOT_RUNNING) {
        top.out().println("agentd is not running");
        return 0;
      }
      top.err().println(e.getMessage());
      return e.code();
    }
    try {
      ControlClient.of(h.controlSocket(), top.timeout()).shutdown(Duration.ofSeconds(120));
    } catch (java.util.concurrent.TimeoutException e) {
      top.err().println("agentd: pid " + pid + " did not stop within 120s (a child ignoring its stop signal longer than its grace?);"
          + " 'agentd daemon kill' forces it");
      return 1;
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (PidLock.liveOwner(PidLock.fileOf(h.root())).isPresent() && System.nanoTime() < deadline) {
      Thread.sleep(20); // waiting for another process to exit
    }
    // the lock goes with the supervisor's close, a little before its JVM exits: "stopped" means the process has exited.
    // A zombie has: it holds nothing, and waiting until whoever adopted it (init, often slow) reaps it cost seconds
    while (jvm.isPresent() && jvm.get().isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    if (jvm.isPresent() && jvm.get().isAlive()) {
      top.err().println("agentd: pid " + pid + " released its home but has not exited within 30s; 'agentd daemon kill' forces it");
      return 1;
    }
    top.out().println("agentd stopped (pid " + pid + ")");
    return 0;
  }

  @Command(name = "restart", description = "stop, wait 1 s, start; or --rolling: restart the children one at a time in"
      + " start order, each after the previous is ready again, stopping at the first that does not come back. With NAME:"
      + " restart that child only (a FATAL one included: this is how it is brought back), the supervisor stays up")
  int restart(@Parameters(paramLabel = "NAME", arity = "0..1", description = "a child") String name,
      @Option(names = "--rolling", description = "one child at a time, the supervisor stays up") boolean rolling,
      @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s",
          description = "with --rolling: how long each child may take (default 60s)")
      String timeout,
      @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "60s",
          description = "with NAME: how long the child may take to come up (default 60s; 0: only ask)") String wait) throws Exception {
    if (name != null) {
      if (rolling) {
        top.err().println("agentd: --rolling restarts every child in turn: give it no NAME");
        return 2;
      }
      return child("restart", name, wait);
    }
    if (rolling) {
      return top.withControl(c -> {
        List<String> done = c.rollingRestart(Durations.parse(timeout), c.list().size());
        top.out().println("rolling restart done: " + (done.isEmpty() ? "no child was up" : String.join(", ", done)));
        return 0;
      });
    }
    int s = stopSupervisor();
    if (s != 0) {
      return s;
    }
    Thread.sleep(1000); // the documented pause between stop and start
    return startSupervisor();
  }

  /** The shaping options that can be recorded, each with one value (see {@link Agentd#daemonOptions()}). */
  private static final java.util.Set<String> RECORDED = java.util.Set.of("--config", "--orphans", "--http", "--child-user");

  /**
   * {@code run/daemon.args}: a JSON array of option, value pairs, each option one that {@code
   * daemon run} records. Anything else is refused rather than passed to the new supervisor.
   */
  static List<String> recordedOptions(Path file) throws IOException {
    com.fasterxml.jackson.databind.JsonNode a;
    try {
      a = new com.fasterxml.jackson.databind.ObjectMapper().readTree(file.toFile());
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IOException("malformed JSON: " + e.getOriginalMessage());
    }
    if (a == null || !a.isArray() || a.size() % 2 != 0) {
      throw new IOException("not an array of option, value pairs");
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i += 2) {
      if (!a.get(i).isTextual() || !RECORDED.contains(a.get(i).asText()) || !a.get(i + 1).isTextual()) {
        throw new IOException("element " + i + " is not one of " + new java.util.TreeSet<>(RECORDED) + " followed by its value");
      }
      out.addAll(List.of(a.get(i).asText(), a.get(i + 1).asText()));
    }
    return out;
  }

  /** {@code --wait}, parsed; null (the reason printed) when it is not a duration. */
  private Duration waitOption(String wait) {
    try {
      return Durations.parse(wait);
    } catch (IllegalArgumentException e) {
      top.err().println("agentd: --wait: " + e.getMessage());
      return null;
    }
  }

  /**
   * {@code daemon start|stop|restart NAME}: the control RPC for one child, then (unless
   * {@code wait} is 0) until it is up again (a new run, READY, or RUNNING if it has no
   * readiness), or stopped; FATAL or a failed exit on the way ends the wait with the reason.
   */
  private int child(String action, String name, String wait) throws Exception {
    Duration patience = waitOption(wait);
    if (patience == null) {
      return 2;
    }
    AgentdHome h = top.home();
    dev.supervisor.ChildStatus[] before = {null};
    boolean[] readiness = {false};
    int sent = top.withControl(c -> {
      before[0] = c.status().child(name).orElse(null);
      if (before[0] != null) {
        readiness[0] = !c.inspect(name).path("readiness").asText("none").equals("none");
      }
      switch (action) {
        case "start" -> c.start(name);
        case "stop" -> c.stop(name);
        default -> c.restart(name);
      }
      return 0;
    });
    if (sent != 0) {
      return sent;
    }
    if (patience.isZero()) {
      top.out().println("child '" + name + "': " + action + " requested");
      return 0;
    }
    boolean wasUp = before[0].state() == dev.supervisor.ChildState.READY
        || before[0].state() == dev.supervisor.ChildState.RUNNING && !readiness[0];
    long deadline = System.nanoTime() + patience.toNanos();
    dev.supervisor.ChildStatus now = before[0];
    while (true) {
      try {
        now = Liveness.ask(h.root(), top.timeout(), t -> ControlClient.of(h.controlSocket(), t).status()).child(name).orElseThrow();
      } catch (Liveness.NoAnswer e) {
        top.err().println("agentd: lost the supervisor while waiting for child '" + name + "': " + e.getMessage());
        return e.code();
      }
      boolean fresh = now.runId() > before[0].runId() || action.equals("start") && wasUp;
      dev.supervisor.ChildState st = now.state();
      if (action.equals("stop")) {
        if (st == dev.supervisor.ChildState.STOPPED || st == dev.supervisor.ChildState.EXITED) {
          top.out().println("child '" + name + "' stopped");
          return 0;
        }
      } else if (fresh && (st == dev.supervisor.ChildState.READY || st == dev.supervisor.ChildState.RUNNING && !readiness[0])) {
        top.out().println("child '" + name + "' " + (action.equals("start") ? "started" : "restarted") + ": " + st
            + now.pid().stream().mapToObj(p -> " (pid " + p + ")").findFirst().orElse(""));
        return 0;
      } else if (fresh && st == dev.supervisor.ChildState.FATAL) {
        top.err().println("agentd: child '" + name + "' is FATAL again: " + now.reason().orElse("gave up")
            + "; fix it ('agentd logs " + name + "' shows its output), then run 'agentd daemon restart " + name + "'");
        return 1;
      } else if (fresh && st == dev.supervisor.ChildState.EXITED && now.lastExit().map(x -> x.isFailure()).orElse(false)) {
        top.err().println("agentd: child '" + name + "' EXITED with " + now.lastExit().get() + " and its restart policy does not"
            + " restart it; fix it ('agentd logs " + name + "' shows its output), then run 'agentd daemon start " + name + "'");
        return 1;
      }
      if (System.nanoTime() >= deadline) {
        top.err().println("agentd: child '" + name + "' is " + st + now.reason().map(r -> " (" + r + ")").orElse("") + " after "
            + Durations.format(patience) + (action.equals("stop") ? ", not stopped yet" : ", not up yet")
            + "; 'agentd daemon status' and 'agentd logs " + name + "' tell more");
        return 1;
      }
      Thread.sleep(100); // polling another process's state
    }
  }

  @Command(name = "status", description = "running or not, and each child. Exit code 0 running, 3 not running, 4 not"
      + " responding (a live process holds the home but its control socket gave no answer within --timeout)")
  int status(@Option(names = "--json", description = "machine-readable") boolean json) throws Exception {
    AgentdHome h = top.home();
    try {
      String text = Liveness.ask(h.root(), top.timeout(), t -> {
        ControlClient c = ControlClient.of(h.controlSocket(), t);
        if (json) {
          return c.statusJson().toString() + System.lineSeparator();
        }
        com.fasterxml.jackson.databind.JsonNode j = c.statusJson();
        com.fasterxml.jackson.databind.JsonNode sup = j.path("supervisor");
        SupervisorStatus s = dev.supervisor.ipc.control.StatusJson.fromJson(j);
        String layer = sup.hasNonNull("processLayer") // an older daemon does not say
            ? ", JDK " + sup.path("jdk").asInt() + ", process layer " + sup.path("processLayer").asText() : "";
        return String.format("agentd running (pid %d, up %ds%s), home %s%n", sup.path("pid").asLong(),
            sup.path("uptimeMs").asLong() / 1000, layer, h.root()) + s.toTable();
      });
      top.out().print(text);
      return 0;
    } catch (Liveness.NoAnswer e) {
      if (json) {
        top.out().println(Liveness.statusJson(h.root(), e));
        if (e.code() != Agentd.NOT_RUNNING) {
          top.err().println(e.getMessage());
        }
      } else {
        top.out().println(e.getMessage());
      }
      return e.code();
    }
  }

  @Command(name = "serve", description = "run with the HTTP API and dashboard (--http, default " + Agentd.DEFAULT_HTTP + ");"
      + " -d: in the background, as daemon start")
  int serve(@Option(names = "-d", description = "in the background") boolean background) throws Exception {
    if (top.http == null) {
      top.http = Agentd.DEFAULT_HTTP;
    }
    return background ? startSupervisor() : run();
  }

  @Command(name = "login-url", description = "print a one-time login URL for the dashboard (it works once, within 10"
      + " minutes, and leaves the browser logged in); made from <home>/http.token, nothing is sent over the network")
  int loginUrl() throws Exception {
    int ping = top.withControl(c -> {
      c.ping();
      return 0;
    });
    return ping != 0 ? ping : printLoginUrl(top.home(), Duration.ZERO);
  }

  /** Prints a login URL for the HTTP address the daemon wrote, waiting up to {@code wait} for a daemon that is starting. */
  private int printLoginUrl(AgentdHome h, Duration wait) throws Exception {
    Path addr = h.root().resolve("run").resolve("http.addr");
    long deadline = System.nanoTime() + wait.toNanos();
    while (!java.nio.file.Files.exists(addr) && System.nanoTime() < deadline) {
      Thread.sleep(50); // the daemon writes it once its HTTP server is up, just after its control socket
    }
    if (!java.nio.file.Files.exists(addr)) {
      top.err().println("agentd (home " + h.root() + ") does not serve HTTP: start it with 'agentd daemon serve -d' or"
          + " 'agentd --http 127.0.0.1:8377 daemon start'");
      return 1;
    }
    String token = dev.supervisor.examples.http.HttpToken.loadOrCreate(h.root().resolve("http.token"));
    top.out().println("dashboard login (works once, within " + dev.supervisor.examples.http.LoginCodes.LIFETIME.toMinutes()
        + " minutes): " + dev.supervisor.examples.http.LoginCodes.url(java.nio.file.Files.readString(addr).trim(), token,
        Instant.now()));
    return 0;
  }

  @Command(name = "reload", mixinStandardHelpOptions = true, description = "re-read the config (--config) and apply only the"
      + " difference: added children start, removed ones stop, changed ones restart one at a time, the others keep running;"
      + " an invalid config changes nothing (exit 2). Same as SIGHUP to 'daemon run'. Exit 0 done, 2 invalid config,"
      + " 3 not running")
  int reload(@Option(names = "--timeout", defaultValue = "60s", description = "how long each stopped or restarted child may take"
      + " (default 60s)") String timeout) throws Exception {
    return top.withControl(Duration.ofSeconds(5), c -> {
      com.fasterxml.jackson.databind.node.ObjectNode r;
      try {
        r = c.reload(Durations.parse(timeout), c.list().size() + 1);
      } catch (RpcException e) {
        top.err().println("agentd: reload refused, nothing changed: " + e.getMessage());
        return e.code() == dev.supervisor.ipc.ErrorCode.INVALID_ARGUMENT ? 2 : 1;
      }
      for (String k : List.of("added", "removed", "restarted", "unchanged")) {
        List<String> names = new ArrayList<>();
        r.path(k).forEach(n -> names.add(n.asText()));
        top.out().println(k + ": " + (names.isEmpty() ? "-" : String.join(", ", names)));
      }
      return 0;
    });
  }

  @Command(name = "upgrade", description = "replace the supervisor process (with the agentd jar this command runs from, as"
      + " it was started: the options recorded in run/daemon.args) without restarting a child: the old one hands its"
      + " children over and exits, the new one adopts them with their pids and restart counts")
  int upgrade(@Option(names = "--wait", paramLabel = "DURATION", defaultValue = "90s",
      description = "how long the new supervisor may take to be up (default 90s)") String wait) throws Exception {
    Duration patience = waitOption(wait);
    if (patience == null) {
      return 2;
    }
    AgentdHome h = top.home();
    long oldPid;
    try {
      oldPid = Liveness.ask(h.root(), top.timeout(), t -> ControlClient.of(h.controlSocket(), t).ping().pid());
    } catch (Liveness.NoAnswer e) {
      top.err().println(e.code() == Agentd.NOT_RUNNING ? e.getMessage() + ": nothing to upgrade; start it with 'agentd daemon start'"
          : e.getMessage());
      return e.code();
    }
    Path recorded = h.root().resolve("run").resolve("daemon.args");
    List<String> options;
    if (java.nio.file.Files.isRegularFile(recorded)) {
      try {
        options = recordedOptions(recorded);
      } catch (IOException e) {
        top.err().println("agentd: cannot upgrade pid " + oldPid + ": " + recorded + " is not what 'daemon run' writes ("
            + e.getMessage() + "); nothing was changed; delete it to start the new supervisor with this command's options");
        return 1;
      }
    } else { // a supervisor of a version that did not record them
      options = top.daemonOptions();
      top.out().println("agentd: " + recorded + " is missing (a supervisor older than 'daemon upgrade'): the new one runs with this"
          + " command's options " + options);
    }
    com.fasterxml.jackson.databind.JsonNode handed;
    try {
      handed = ControlClient.of(h.controlSocket(), top.timeout()).handOver(Duration.ofSeconds(30));
    } catch (RpcException e) {
      top.err().println("agentd: cannot upgrade pid " + oldPid + ": " + e.getMessage() + "; nothing was changed");
      return 1;
    } catch (IOException e) {
      top.err().println("agentd: the hand-over of pid " + oldPid + " got no answer (" + e.getMessage() + "); 'agentd daemon status'"
          + " tells whether it is still running, 'agentd daemon start' adopts what it left");
      return 1;
    }
    Map<String, Long> children = new java.util.LinkedHashMap<>();
    handed.path("children").fields().forEachRemaining(f -> children.put(f.getKey(), f.getValue().asLong()));
    Optional<ProcessHandle> old = ProcessHandle.of(oldPid);
    if (old.isPresent()) {
      try {
        old.get().onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        top.err().println("agentd: pid " + oldPid + " handed its children over but has not exited after 30s; the new supervisor"
            + " starts anyway");
      }
    }
    DaemonHandle d;
    try {
      d = Daemons.ensureRunning(DaemonSpec.of(h.root(), Agentd.runCommand(h, options)).withStartTimeout(patience)
          .withAnswerTimeout(top.timeout()));
    } catch (DaemonStartException e) {
      top.err().println("agentd: the old supervisor (pid " + oldPid + ") handed over " + children.size() + " children, which keep"
          + " running, but the new one did not come up: " + e.getMessage() + "; fix it, then 'agentd daemon start' adopts them");
      return 1;
    }
    List<String> adopted = new ArrayList<>();
    List<String> changed = new ArrayList<>();
    dev.supervisor.SupervisorStatus now = ControlClient.of(h.controlSocket(), top.timeout()).status();
    children.forEach((name, pid) -> {
      java.util.OptionalLong p = now.child(name).map(dev.supervisor.ChildStatus::pid).orElse(java.util.OptionalLong.empty());
      if (p.isPresent() && p.getAsLong() == pid) {
        adopted.add(name + " (pid " + pid + ")");
      } else {
        changed.add("child '" + name + "' (pid " + pid + ") exited during the upgrade: "
            + now.child(name).map(c -> c.state() + p.stream().mapToObj(x -> ", now pid " + x).findFirst().orElse("")).orElse("gone"));
      }
    });
    top.out().println("agentd upgraded: pid " + oldPid + " -> " + d.pid() + ", home " + h.root() + "; adopted "
        + (adopted.isEmpty() ? "no child" : String.join(", ", adopted)) + (changed.isEmpty() ? "; nothing restarted" : ""));
    changed.forEach(top.out()::println);
    return 0;
  }

  @Command(name = "scale", description = "set the number of instances of a child declared with \"instances\" (config)")
  int scale(@Parameters(paramLabel = "NAME") String name, @Parameters(paramLabel = "N") int n) throws Exception {
    return top.withControl(Duration.ofSeconds(30), c -> {
      List<String> now = c.scale(name, n);
      top.out().println(name + ": " + n + " instance" + (n == 1 ? "" : "s") + (now.isEmpty() ? "" : " (" + String.join(", ", now) + ")"));
      return 0;
    });
  }

  @Command(name = "kill", description = "force: when the supervisor is hung (its lock is held but its control socket does"
      + " not answer), SIGKILL it and its children's process groups, each pid checked against its recorded start time")
  int kill(@Option(names = "--timeout", defaultValue = "3s", description = "how long the socket may take to answer (default 3s)")
      String timeout) throws Exception {
    AgentdHome h = top.home();
    Path lockFile = PidLock.fileOf(h.root());
    Optional<PidLock.Owner> owner = PidLock.liveOwner(lockFile);
    if (owner.isEmpty()) {
      top.out().println("agentd is not running (home " + h.root() + ")");
      return 0;
    }
    ProcessSignature sup = owner.get().signature();
    try {
      ControlClient.of(h.controlSocket(), Durations.parse(timeout)).ping();
      top.err().println("agentd (pid " + sup.pid() + ") answers on its control socket: it is not hung; stop it with"
          + " 'agentd daemon stop'");
      return 1;
    } catch (IOException | RpcException e) {
      // hung, or its socket is gone: force it
    }
    // the supervisor first, so it cannot start anything again; then each child the state file records (its
    // process group if the leader is still the process recorded, and its cgroup), as recovery would
    int killed = 0;
    if (sup.isAlive()) {
      ProcessHandle.of(sup.pid()).ifPresent(ProcessHandle::destroyForcibly);
      killed++;
    }
    int groups = 0;
    try {
      groups = Supervisor.killRecordedChildren(h.root());
    } catch (IOException e) {
      top.err().println("agentd: cannot read the state file (" + e.getMessage() + "); killed the supervisor only");
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (PidLock.liveOwner(lockFile).isPresent() && System.nanoTime() < deadline) {
      Thread.sleep(20); // waiting for the kernel to reap another process
    }
    if (PidLock.liveOwner(lockFile).isPresent()) {
      top.err().println("agentd: pid " + sup.pid() + " still holds " + lockFile + " after SIGKILL");
      return 1;
    }
    top.out().println("agentd killed (pid " + sup.pid() + ", " + groups + " child process group" + (groups == 1 ? "" : "s")
        + "); the lock is free");
    return killed > 0 || groups > 0 ? 0 : 1;
  }

  @Command(name = "explain", description = "what the child's restart policy would do if it crashed again and again:"
      + " each delay, and when it would go FATAL")
  int explain(@Parameters(paramLabel = "NAME") String name,
      @Option(names = "--uptime", defaultValue = "0s", description = "how long each run lasts before it crashes (default 0s)") String uptime,
      @Option(names = "--crashes", defaultValue = "12", description = "crashes to simulate (default 12)") int crashes,
      @Option(names = "--json", description = "machine-readable") boolean json) throws Exception {
    return top.withControl(c -> {
      var x = c.explain(name, Durations.parse(uptime), crashes);
      top.out().println(json ? x.toString() : name + ": " + x.path("text").asText());
      return 0;
    });
  }

  @Command(name = "run", description = "run the supervisor in the foreground (Ctrl-C stops everything; for systemd Type=notify)")
  int run() throws Exception {
    return DaemonRun.run(top);
  }

}
