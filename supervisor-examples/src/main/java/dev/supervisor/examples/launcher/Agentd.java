package dev.supervisor.examples.launcher;

import dev.supervisor.ChildSpec;
import dev.supervisor.ConfigException;
import dev.supervisor.Durations;
import dev.supervisor.OrphanPolicy;
import dev.supervisor.Supervisor;
import dev.supervisor.SupervisorConfig;
import dev.supervisor.SupervisorStatus;
import dev.supervisor.event.ChildStateChanged;
import dev.supervisor.event.SupervisorStateChanged;
import dev.supervisor.examples.bench.Bench;
import dev.supervisor.examples.demo.Demo;
import dev.supervisor.examples.http.HttpApi;
import dev.supervisor.examples.scheduler.JobStore;
import dev.supervisor.examples.tools.ApprovalKeys;
import dev.supervisor.examples.tools.Intent;
import dev.supervisor.examples.tools.Jsons;
import dev.supervisor.examples.tools.Policy;
import dev.supervisor.examples.tools.ToolClient;
import dev.supervisor.ipc.RpcException;
import dev.supervisor.ipc.control.ControlClient;
import dev.supervisor.ipc.control.ControlServer;
import dev.supervisor.ipc.control.Roles;
import dev.supervisor.ipc.daemon.DaemonHandle;
import dev.supervisor.ipc.daemon.DaemonSpec;
import dev.supervisor.ipc.daemon.DaemonStartException;
import dev.supervisor.ipc.daemon.Daemons;
import dev.supervisor.ipc.notify.ChildNotifySockets;
import dev.supervisor.ipc.systemd.SystemdNotifier;
import dev.supervisor.persist.AlreadyRunningException;
import dev.supervisor.persist.PidLock;
import dev.supervisor.persist.ProcessSignature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code agentd}: run and talk to a supervisor of validator, executor and scheduler (or of the children in a config file). */
@Command(name = "agentd", mixinStandardHelpOptions = true, version = "agentd 0.1",
    description = "Supervises a validator, an executor and a scheduler (or the children of --config).",
    subcommands = {Agentd.DaemonCmd.class, Agentd.InspectCmd.class, Agentd.LogsCmd.class, Agentd.IncidentsCmd.class, Agentd.ToolCmd.class, Agentd.JobsCmd.class, Agentd.DemoCmd.class, Agentd.BenchCmd.class})
public final class Agentd {
  /** LSB: status of a service that is not running. */
  public static final int NOT_RUNNING = 3;

  @Option(names = "--home", description = "home directory (default: $AGENTD_HOME, else ~/.agentd; /var/lib/agentd for root)")
  Path homeOption;

  @Option(names = "--config", description = "supervise the children of this JSON config instead of the built-in trio")
  Path config;

  @Option(names = "--orphans", paramLabel = "kill|adopt", description = "after a supervisor crash, kill and restart the children"
      + " it left (default), or adopt them: they keep their pids and are supervised again")
  String orphans = "kill";

  @Option(names = "--http", paramLabel = "HOST:PORT", description = "also serve the HTTP API and dashboard here"
      + " (loopback recommended); everything but /healthz and /readyz needs the token from <home>/http.token, or the"
      + " session of a one-time login URL (printed at start; 'daemon login-url' for another)")
  String http;

  @Option(names = "--child-user", paramLabel = "USER", description = "when agentd runs as root, the unprivileged account its"
      + " validator, executor and scheduler run as (default nobody; name a dedicated one in production)")
  String childUser;

  @Spec CommandLine.Model.CommandSpec spec;

  /** The default address of {@code daemon serve}. */
  static final String DEFAULT_HTTP = "127.0.0.1:8377";

  java.net.InetSocketAddress httpAddress() {
    int colon = http.lastIndexOf(':');
    try {
      if (colon <= 0) {
        throw new NumberFormatException();
      }
      int port = Integer.parseInt(http.substring(colon + 1));
      if (port < 0 || port > 65535) {
        throw new NumberFormatException();
      }
      return new java.net.InetSocketAddress(http.substring(0, colon).replace("[", "").replace("]", ""), port);
    } catch (NumberFormatException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--http must be HOST:PORT such as 127.0.0.1:8377, got '" + http + "'");
    }
  }

  OrphanPolicy orphanPolicy() {
    return switch (orphans) {
      case "kill" -> OrphanPolicy.KILL;
      case "adopt" -> OrphanPolicy.ADOPT;
      default -> throw new CommandLine.ParameterException(spec.commandLine(), "--orphans must be kill or adopt, got '" + orphans + "'");
    };
  }

  AgentdHome home() {
    return AgentdHome.resolve(homeOption, System.getenv());
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  public static void main(String[] args) {
    Path fast = FastStatus.matches(args);
    System.exit(fast != null ? FastStatus.run(fast) : run(args));
  }

  /** Runs the CLI and returns its exit code (used by tests and {@code main}). */
  public static int run(String... args) {
    CommandLine cl = new CommandLine(new Agentd());
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("agentd: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      return 1;
    });
    int code = cl.execute(args);
    cl.getOut().flush();
    cl.getErr().flush();
    return code;
  }

  /** The command {@code daemon start} runs in the background. */
  List<String> runCommand(AgentdHome h) {
    List<String> cmd = new ArrayList<>(Trio.javaCommand(Agentd.class, Trio.DAEMON_JVM_FLAGS.toArray(String[]::new)));
    cmd.addAll(List.of("--home", h.root().toString()));
    if (config != null) {
      cmd.addAll(List.of("--config", config.toAbsolutePath().toString()));
    }
    cmd.addAll(List.of("--orphans", orphans));
    if (http != null) {
      cmd.addAll(List.of("--http", http));
    }
    cmd.addAll(List.of("daemon", "run"));
    return cmd;
  }

  /** A call on the control socket; what it returns is the command's exit code. */
  @FunctionalInterface
  interface ControlCall {
    int run(ControlClient client) throws Exception;
  }

  /** Runs {@code call} against this home's supervisor: "not running" (exit 3) or the RPC's error (exit 1) otherwise. */
  int withControl(Duration timeout, ControlCall call) throws Exception {
    AgentdHome h = home();
    try {
      return call.run(ControlClient.of(h.controlSocket(), timeout));
    } catch (IOException e) {
      err().println("agentd is not running (home " + h.root() + "): start it with 'agentd daemon start'");
      return NOT_RUNNING;
    } catch (RpcException e) {
      err().println("agentd: " + e.getMessage());
      return 1;
    }
  }

  DaemonHandle ensure(AgentdHome h) throws DaemonStartException {
    return Daemons.ensureRunning(DaemonSpec.of(h.root(), runCommand(h)).withStartTimeout(Duration.ofSeconds(90)));
  }

  // ------------------------------------------------------------------ daemon

  @Command(name = "daemon", description = "start | stop | restart | run | status | explain | serve | login-url | scale | kill")
  static final class DaemonCmd {
    @ParentCommand Agentd top;

    @Command(name = "start", description = "start the supervisor and its children in the background; returns once all are ready")
    int start() throws Exception {
      AgentdHome h = top.home();
      try {
        DaemonHandle d = top.ensure(h);
        top.out().println(d.startedByThisCall() ? "agentd started (pid " + d.pid() + "), home " + h.root()
            : "agentd already running (pid " + d.pid() + "), home " + h.root());
        if (top.http != null) {
          printLoginUrl(h, Duration.ofSeconds(10));
        }
        return 0;
      } catch (DaemonStartException e) {
        top.err().println("agentd: " + e.getMessage());
        return 1;
      }
    }

    @Command(name = "stop", description = "stop the children (gracefully, then forced) and the supervisor")
    int stop() throws Exception {
      AgentdHome h = top.home();
      ControlClient c = ControlClient.of(h.controlSocket(), Duration.ofSeconds(5));
      long pid;
      try {
        pid = c.ping().pid();
      } catch (IOException e) {
        Optional<PidLock.Owner> owner = PidLock.liveOwner(h.root().resolve("supervisor.pid"));
        if (owner.isPresent()) {
          top.err().println("agentd: pid " + owner.get().signature().pid() + " holds " + h.root()
              + " but its control socket does not answer: it is starting or hung; try again, or force it with 'agentd daemon kill'");
          return 1;
        }
        top.out().println("agentd is not running");
        return 0;
      }
      try {
        c.shutdown(Duration.ofSeconds(120));
      } catch (java.util.concurrent.TimeoutException e) {
        top.err().println("agentd: pid " + pid + " did not stop within 120s (a child ignoring its stop signal longer than its grace?);"
            + " 'agentd daemon kill' forces it");
        return 1;
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (PidLock.liveOwner(h.root().resolve("supervisor.pid")).isPresent() && System.nanoTime() < deadline) {
        Thread.sleep(20); // waiting for another process to exit
      }
      top.out().println("agentd stopped (pid " + pid + ")");
      return 0;
    }

    @Command(name = "restart", description = "stop, wait 1 s, start; or --rolling: restart the children one at a time in"
        + " start order, each after the previous is ready again, stopping at the first that does not come back")
    int restart(@Option(names = "--rolling", description = "one child at a time, the supervisor stays up") boolean rolling,
        @Option(names = "--timeout", defaultValue = "60s", description = "with --rolling: how long each child may take (default 60s)")
        String timeout) throws Exception {
      if (rolling) {
        return top.withControl(Duration.ofSeconds(5), c -> {
          List<String> done = c.rollingRestart(Durations.parse(timeout), c.list().size());
          top.out().println("rolling restart done: " + (done.isEmpty() ? "no child was up" : String.join(", ", done)));
          return 0;
        });
      }
      int s = stop();
      if (s != 0) {
        return s;
      }
      Thread.sleep(1000); // the documented pause between stop and start
      return start();
    }

    @Command(name = "status", description = "running or not, and each child (exit code 3 when not running)")
    int status(@Option(names = "--json", description = "machine-readable") boolean json) throws Exception {
      AgentdHome h = top.home();
      ControlClient c = ControlClient.of(h.controlSocket(), Duration.ofSeconds(5));
      try {
        if (json) {
          top.out().println(c.statusJson());
        } else {
          ControlClient.Pong p = c.ping();
          SupervisorStatus s = c.status();
          top.out().printf("agentd running (pid %d, up %ds), home %s%n", p.pid(), p.uptime().toSeconds(), h.root());
          top.out().print(s.toTable());
        }
        return 0;
      } catch (IOException e) {
        if (json) {
          var n = Jsons.MAPPER.createObjectNode();
          n.putObject("supervisor").put("running", false).put("home", h.root().toString());
          n.putArray("children");
          top.out().println(n);
        } else {
          top.out().println("agentd is not running (home " + h.root() + ")");
        }
        return NOT_RUNNING;
      }
    }

    @Command(name = "serve", description = "run with the HTTP API and dashboard (--http, default " + DEFAULT_HTTP + ");"
        + " -d: in the background, as daemon start")
    int serve(@Option(names = "-d", description = "in the background") boolean background) throws Exception {
      if (top.http == null) {
        top.http = DEFAULT_HTTP;
      }
      return background ? start() : run();
    }

    @Command(name = "login-url", description = "print a one-time login URL for the dashboard (it works once, within 10"
        + " minutes, and leaves the browser logged in); made from <home>/http.token, nothing is sent over the network")
    int loginUrl() throws Exception {
      int ping = top.withControl(Duration.ofSeconds(5), c -> {
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
      Path lockFile = h.root().resolve("supervisor.pid");
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
      List<ProcessSignature> children = new ArrayList<>();
      try {
        dev.supervisor.persist.StateStore.atomicJsonFile(h.root().resolve("state.json")).load()
            .ifPresent(s -> s.children().forEach(c -> c.process().ifPresent(children::add)));
      } catch (IOException e) {
        top.err().println("agentd: cannot read the state file (" + e.getMessage() + "); killing the supervisor only");
      }
      // the supervisor first, so it cannot start anything again; each pid only if it is still the process recorded
      int killed = 0;
      if (sup.isAlive()) {
        ProcessHandle.of(sup.pid()).ifPresent(ProcessHandle::destroyForcibly);
        killed++;
      }
      int groups = 0;
      for (ProcessSignature c : children) {
        if (c.isAlive()) {
          dev.supervisor.internal.ProcessGroups.signalGroupAndWait(c.pid(), "KILL", ProcessHandle.of(c.pid()).orElse(null));
          groups++;
        }
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
      return top.withControl(Duration.ofSeconds(5), c -> {
        var x = c.explain(name, Durations.parse(uptime), crashes);
        top.out().println(json ? x.toString() : name + ": " + x.path("text").asText());
        return 0;
      });
    }

    @Command(name = "run", description = "run the supervisor in the foreground (Ctrl-C stops everything; for systemd Type=notify)")
    int run() throws Exception {
      AgentdHome h = top.home();
      List<ChildSpec> children;
      Supervisor.Builder b = Supervisor.builder(h.root()).recovery(top.orphanPolicy())
          .notifySockets(ChildNotifySockets.create()); // for config children with "readiness": "notify" or a watchdog
      if (top.config != null) { // the user's children: no keys, policy, workspace or work directories of the trio
        try {
          SupervisorConfig cfg = SupervisorConfig.load(top.config);
          cfg.applyTo(b);
          children = cfg.children();
        } catch (ConfigException e) {
          top.err().println("agentd: " + e.getMessage());
          return 2;
        }
        dev.supervisor.persist.OwnerOnly.createDirectories(h.root());
      } else {
        Optional<ChildUser> childUser;
        try {
          childUser = ChildUser.resolve(top.childUser);
          if (childUser.isPresent()) {
            childUser.get().checkReachable(h);
          }
        } catch (IOException e) {
          top.err().println("agentd: " + e.getMessage());
          return 2;
        }
        h.createDirectories();
        ApprovalKeys.prepare(h, top.out()::println); // the validator's private key, the executor's public key
        Policy.installDefault(h.policy(), top.out()::println); // the children only read it
        dev.supervisor.persist.OwnerOnly.createFile(h.audit());
        try {
          children = Trio.specs(h, System.getenv(), childUser, Policy.load(h.policy(), h.workspace()).allowedExecutables());
        } catch (IllegalArgumentException e) { // AGENTD_APPROVAL_TTL out of bounds
          top.err().println("agentd: " + e.getMessage());
          return 2;
        }
        if (childUser.isPresent()) {
          childUser.get().prepare(h);
        }
        b.children(children);
      }
      PrintWriter out = top.out();
      Supervisor sup = b.listener(e -> {
        if (e instanceof ChildStateChanged c) {
          out.printf("%s %-10s %s -> %s%s%n", c.at(), c.name(), c.from(), c.to(), c.exit().map(x -> " (" + x + ")").orElse(""));
        } else if (e instanceof SupervisorStateChanged s) {
          out.printf("%s supervisor %s -> %s%n", s.at(), s.from(), s.to());
        }
        out.flush();
      }, Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "agentd-events");
        t.setDaemon(true);
        return t;
      })).build();
      try {
        sup.startAsync();
      } catch (AlreadyRunningException e) {
        top.err().println("agentd: " + e.getMessage().replace("supervisor", "agentd") + ", home " + h.root());
        return 1;
      }
      HttpApi api = null;
      Path httpAddr = h.root().resolve("run").resolve("http.addr");
      try (ControlServer control = ControlServer.serve(sup, h.controlSocket(), Roles.ownerOnly())) {
        java.nio.file.Files.deleteIfExists(httpAddr); // a previous run's: login-url must not point at a port we left
        if (top.http != null) {
          try {
            api = HttpApi.start(sup, top.httpAddress(), h.root().resolve("http.token"));
          } catch (IOException e) {
            top.err().println("agentd: " + e.getMessage());
            sup.close();
            return 1;
          }
          java.net.InetSocketAddress a = api.address();
          dev.supervisor.persist.OwnerOnly.createFile(httpAddr);
          java.nio.file.Files.writeString(httpAddr, dev.supervisor.examples.http.LoginCodes.hostPort(a) + "\n");
          out.println("agentd dashboard on http://" + a.getHostString() + ":" + a.getPort() + "/");
          out.println("dashboard login (works once, within " + dev.supervisor.examples.http.LoginCodes.LIFETIME.toMinutes()
              + " minutes; 'agentd daemon login-url' for another): " + api.loginUrl());
        }
        Optional<SystemdNotifier> notifier = SystemdNotifier.fromEnvironment();
        notifier.ifPresent(n -> n.attach(sup));
        out.println("agentd supervising " + children.size() + " children, home " + h.root() + ", control " + control.socket());
        out.flush();
        sup.awaitStopped(Duration.ofDays(36500));
        notifier.ifPresent(SystemdNotifier::close);
      } catch (IOException e) {
        top.err().println("agentd: cannot serve " + h.controlSocket() + ": " + e.getMessage());
        sup.close();
        return 1;
      } finally {
        if (api != null) {
          api.close();
          java.nio.file.Files.deleteIfExists(httpAddr);
        }
      }
      return sup.failureCause().isPresent() ? 1 : 0;
    }
  }

  // ------------------------------------------------------------------ inspect

  @Command(name = "inspect", description = "a child's effective spec (secrets masked), policy, recent runs and dependencies")
  static final class InspectCmd implements Callable<Integer> {
    @ParentCommand Agentd top;
    @Parameters(paramLabel = "NAME") String name;
    @Option(names = "--json", description = "machine-readable") boolean json;

    @Override
    public Integer call() throws Exception {
      return top.withControl(Duration.ofSeconds(5), c -> print(c.inspect(name)));
    }

    private int print(com.fasterxml.jackson.databind.JsonNode x) {
      PrintWriter out = top.out();
      if (json) {
        out.println(x);
        return 0;
      }
      out.println(name + " (" + x.path("state").asText() + ", " + x.path("restarts").asInt() + " restarts)");
      out.println("  command     " + x.path("command"));
      out.println("  workingDir  " + (x.path("workingDir").isNull() ? "-" : x.path("workingDir").asText()));
      out.println("  policy      " + x.path("policy").asText());
      out.println("  stop        SIG" + x.path("stopSignal").asText() + ", grace " + x.path("stopGraceMs").asLong() + "ms");
      out.println("  readiness   " + x.path("readiness").asText());
      out.println("  logs        " + x.path("logs").asText());
      out.println("  dependsOn   " + x.path("dependsOn") + ", dependents " + x.path("dependents"));
      out.println("  env");
      x.path("env").fields().forEachRemaining(e -> out.println("    " + e.getKey() + "=" + e.getValue().asText()));
      out.println("  runs (oldest first)");
      for (var r : x.path("runs")) {
        out.println("    run " + r.path("runId").asLong() + " " + r.path("startedAt").asText() + " up " + r.path("uptimeMs").asLong()
            + "ms: " + r.path("exit").asText() + (r.path("automatic").asBoolean() ? " (restart)" : ""));
      }
      return 0;
    }
  }

  // ------------------------------------------------------------------ logs

  @Command(name = "logs", description = "print a child's log (-n lines), or follow it (-f), across rotations")
  static final class LogsCmd implements Callable<Integer> {
    @ParentCommand Agentd top;
    @Parameters(paramLabel = "NAME") String name;
    @Option(names = {"-n", "--lines"}, defaultValue = "50", description = "how many of the last lines (default 50)") int lines;
    @Option(names = {"-f", "--follow"}, description = "keep printing what the child writes (Ctrl-C ends)") boolean follow;
    @Option(names = "--for", hidden = true, description = "follow for this long, then exit (for tests)") String followFor;

    @Override
    public Integer call() throws Exception {
      AgentdHome h = top.home();
      Path file = h.root().resolve("logs").resolve(name + ".log");
      if (!java.nio.file.Files.exists(file)) {
        top.err().println("agentd: no log for '" + name + "' at " + file + " (is it a child of this home? 'agentd daemon status' lists them)");
        return 1;
      }
      PrintWriter out = top.out();
      dev.supervisor.internal.FileTail.lastLines(file, lines).forEach(out::println);
      out.flush();
      if (!follow) {
        return 0;
      }
      long end = followFor == null ? Long.MAX_VALUE : System.nanoTime() + Durations.parse(followFor).toNanos();
      long pos = java.nio.file.Files.size(file);
      StringBuilder partial = new StringBuilder();
      while (System.nanoTime() < end) {
        long size = java.nio.file.Files.exists(file) ? java.nio.file.Files.size(file) : 0;
        if (size < pos) { // rotated (copy, then truncate): the new content starts at 0
          pos = 0;
        }
        if (size > pos) {
          try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) Math.min(size - pos, 1 << 20));
            ch.read(buf, pos);
            pos += buf.position();
            partial.append(new String(buf.array(), 0, buf.position(), java.nio.charset.StandardCharsets.UTF_8));
            int nl;
            while ((nl = partial.indexOf("\n")) >= 0) {
              out.println(partial.substring(0, nl));
              partial.delete(0, nl + 1);
            }
            out.flush();
          }
          continue;
        }
        Thread.sleep(200); // polling a file another process writes: no change notification is cheaper here
      }
      return 0;
    }
  }

  // ------------------------------------------------------------------ incidents

  @Command(name = "incidents", description = "recorded crashes and hang-kills (of NAME, or of every child), oldest first:"
      + " exit, uptime, peak rss, cpu, the restart decision and the last lines of output")
  static final class IncidentsCmd implements Callable<Integer> {
    @ParentCommand Agentd top;
    @Parameters(paramLabel = "NAME", arity = "0..1", description = "a child (default: all)") String name;
    @Option(names = {"-n", "--last"}, defaultValue = "10", description = "how many (default 10)") int last;
    @Option(names = "--lines", defaultValue = "5", description = "output lines to show per incident (default 5; all 50 with --json)")
    int lines;
    @Option(names = "--json", description = "machine-readable") boolean json;

    @Override
    public Integer call() throws Exception {
      return top.withControl(Duration.ofSeconds(5), c -> print(c.incidents(name, last)));
    }

    private int print(List<dev.supervisor.Incident> incidents) {
      PrintWriter out = top.out();
      if (json) {
        var arr = Jsons.MAPPER.createArrayNode();
        incidents.forEach(i -> arr.add(dev.supervisor.internal.IncidentStore.toJson(i)));
        out.println(arr);
        return 0;
      }
      if (incidents.isEmpty()) {
        out.println("no incidents" + (name == null ? "" : " of " + name));
      }
      for (dev.supervisor.Incident i : incidents) {
        out.println(i.summary());
        out.printf("    peak rss %s, cpu %s%n", i.peakRssBytes().isPresent() ? i.peakRssBytes().getAsLong() / 1024 + "K" : "-",
            i.cpuTime().map(d -> d.toMillis() + "ms").orElse("-"));
        List<String> tail = i.lastLines().subList(Math.max(0, i.lastLines().size() - lines), i.lastLines().size());
        tail.forEach(l -> out.println("    | " + l));
      }
      return 0;
    }
  }

  // ------------------------------------------------------------------ tool

  @Command(name = "tool", description = "ask the validator, then the executor (starts agentd if it is down)")
  static final class ToolCmd {
    @ParentCommand Agentd top;

    @Command(name = "read", description = "print a file")
    int read(@Parameters(paramLabel = "FILE") Path file) throws Exception {
      return run(Intent.read(file));
    }

    @Command(name = "write", description = "write a file (atomically)")
    int write(@Parameters(paramLabel = "FILE") Path file, @Option(names = "--text", required = true) String text) throws Exception {
      return run(Intent.write(file, text));
    }

    @Command(name = "list", description = "list a directory")
    int list(@Parameters(paramLabel = "DIR", defaultValue = ".") Path dir) throws Exception {
      return run(Intent.list(dir));
    }

    @Command(name = "exec", description = "run a command (argv, no shell): tool exec -- CMD ARGS...")
    int exec(@Parameters(paramLabel = "CMD", arity = "1..*") List<String> argv) throws Exception {
      return run(Intent.exec(argv));
    }

    private int run(Intent intent) throws Exception {
      AgentdHome h = top.home();
      try {
        top.ensure(h);
      } catch (DaemonStartException e) {
        top.err().println("agentd: " + e.getMessage());
        return 1;
      }
      ToolClient.Outcome o;
      try {
        o = new ToolClient(h).run(intent);
      } catch (RpcException e) {
        top.err().println("agentd: refused: " + e.getMessage());
        return 1;
      }
      if (!o.allowed()) {
        top.err().println("agentd: denied by " + o.rule() + ": " + o.reason());
        return 1;
      }
      var r = o.result();
      switch (intent.tool()) {
        case "read" -> top.out().print(r.path("content").asText());
        case "write" -> top.out().println("wrote " + r.path("bytes").asLong() + " bytes to " + r.path("path").asText());
        case "list" -> r.path("entries").forEach(e -> top.out().println(e.asText()));
        default -> {
          top.out().print(r.path("output").asText());
          if (r.path("timedOut").asBoolean()) {
            top.err().println("agentd: command timed out");
          }
          return r.path("exitCode").asInt();
        }
      }
      return 0;
    }
  }

  // ------------------------------------------------------------------ jobs

  @Command(name = "jobs", description = "scheduled jobs: add | list | remove | runs")
  static final class JobsCmd {
    @ParentCommand Agentd top;

    private JobStore store() throws IOException {
      AgentdHome h = top.home();
      h.createDirectories();
      JobStore s = JobStore.open(h.database());
      if (!h.sharedWithChildren()) {
        return s;
      }
      return s.afterClose(() -> { // written as root: hand the database and its journals back to the scheduler's user
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(h.workDir("scheduler"))) {
          java.nio.file.attribute.UserPrincipal owner = java.nio.file.Files.getOwner(h.workDir("scheduler"));
          for (Path f : (Iterable<Path>) files::iterator) {
            if (f.getFileName().toString().startsWith("scheduler.db")) {
              java.nio.file.Files.setOwner(f, owner);
            }
          }
        } catch (IOException e) {
          throw new java.io.UncheckedIOException("cannot hand " + h.database() + " back to the scheduler's user: " + e.getMessage(), e);
        }
      });
    }

    @Command(name = "add", description = "add a job: jobs add NAME --cron EXPR TOOL ARGS...  (TOOL: read FILE | list DIR | write FILE TEXT | exec CMD ARGS...)")
    int add(@Parameters(index = "0", paramLabel = "NAME") String name,
        @Option(names = "--cron", required = true, description = "5 fields (min hour day month weekday) or 6 with seconds first") String cron,
        @Parameters(index = "1..*", arity = "1..*", paramLabel = "TOOL ARGS") List<String> tool) throws Exception {
      Intent intent;
      try {
        intent = parseIntent(tool);
      } catch (IllegalArgumentException e) {
        top.err().println("agentd: " + e.getMessage());
        return 2;
      }
      try (JobStore s = store()) {
        JobStore.Job j = s.add(name, cron, intent, Instant.now());
        top.out().println("added job " + j.name() + ": " + j.intent() + ", next run " + j.nextRunAt());
        return 0;
      } catch (IllegalArgumentException e) {
        top.err().println("agentd: " + e.getMessage());
        return 2;
      }
    }

    static Intent parseIntent(List<String> t) {
      String tool = t.get(0);
      List<String> args = t.subList(1, t.size());
      switch (tool) {
        case "read":
        case "list":
          if (args.size() != 1) {
            throw new IllegalArgumentException(tool + " takes one path");
          }
          return tool.equals("read") ? Intent.read(Path.of(args.get(0))) : Intent.list(Path.of(args.get(0)));
        case "write":
          if (args.size() != 2) {
            throw new IllegalArgumentException("write takes a path and a text");
          }
          return Intent.write(Path.of(args.get(0)), args.get(1));
        case "exec":
          return Intent.exec(args);
        default:
          throw new IllegalArgumentException("unknown tool '" + tool + "' (tools: read, write, list, exec)");
      }
    }

    @Command(name = "list", description = "list jobs")
    int list() throws Exception {
      try (JobStore s = store()) {
        top.out().printf("%-20s %-20s %-25s %s%n", "NAME", "CRON", "NEXT RUN", "INTENT");
        for (JobStore.Job j : s.list()) {
          top.out().printf("%-20s %-20s %-25s %s%n", j.name(), j.cron(), j.nextRunAt(), j.intent());
        }
        return 0;
      }
    }

    @Command(name = "remove", description = "remove a job")
    int remove(@Parameters(paramLabel = "NAME") String name) throws Exception {
      try (JobStore s = store()) {
        if (!s.remove(name)) {
          top.err().println("agentd: no job named '" + name + "'");
          return 1;
        }
        top.out().println("removed job " + name);
        return 0;
      }
    }

    @Command(name = "runs", description = "recent runs, newest first")
    int runs(@Parameters(paramLabel = "NAME", arity = "0..1") String name,
        @Option(names = {"-n"}, defaultValue = "20") int n) throws Exception {
      try (JobStore s = store()) {
        top.out().printf("%-6s %-20s %-25s %-8s %s%n", "RUN", "JOB", "STARTED", "STATUS", "OUTPUT");
        for (JobStore.Run r : s.runs(name, n)) {
          top.out().printf("%-6d %-20s %-25s %-8s %s%n", r.id(), r.job(), r.startedAt(), r.status(),
              r.output().replace('\n', ' ').trim());
        }
        return 0;
      }
    }
  }

  @Command(name = "demo", description = "supervise three demo children for a while, printing their status (--seconds N, --home DIR)")
  static final class DemoCmd implements Callable<Integer> {
    @CommandLine.Unmatched List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      return Demo.run(args.toArray(String[]::new));
    }
  }

  @Command(name = "bench", description = "benchmarks: restart | scale | recovery | storm | ipc | ensure | all (--kills N, --children N, --idle-seconds N, --privileges user,nnp,caps,limits,umask,landlock,net)")
  static final class BenchCmd implements Callable<Integer> {
    @CommandLine.Unmatched List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      return Bench.run(args.toArray(String[]::new));
    }
  }
}
