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
import java.util.Map;
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
// scope INHERIT: every subcommand, at every depth, gets --help and --version too (none can be forgotten)
@Command(name = "agentd", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "agentd 0.1",
    description = "Supervises a validator, an executor and a scheduler (or the children of --config).",
    subcommands = {Agentd.DaemonCmd.class, Agentd.InspectCmd.class, Agentd.LogsCmd.class, Agentd.IncidentsCmd.class, Agentd.ToolCmd.class, Agentd.JobsCmd.class, Agentd.DemoCmd.class, Agentd.BenchCmd.class})
public final class Agentd {
  /** LSB: status of a service that is not running. */
  public static final int NOT_RUNNING = Liveness.NOT_RUNNING;
  /** LSB: status unknown: a process holds the home but its control socket does not answer in time. */
  public static final int NOT_RESPONDING = Liveness.NOT_RESPONDING;

  @Option(names = "--home", description = "home directory (default: $AGENTD_HOME, else ~/.agentd; /var/lib/agentd for root)")
  Path homeOption;

  @Option(names = "--config", description = "supervise the children of this JSON config instead of the built-in trio")
  Path config;

  @Option(names = "--orphans", paramLabel = "adopt|kill", description = "adopt (default): the children outlive a crashed or"
      + " upgraded supervisor and the next one supervises them again, same pids; kill: they die with it (parent-death"
      + " signal), what is left is killed and restarted by the next start, and 'daemon upgrade' is refused")
  String orphans = "adopt";

  @Option(names = "--http", paramLabel = "HOST:PORT", description = "also serve the HTTP API and dashboard here"
      + " (loopback recommended); everything but /healthz and /readyz needs the token from <home>/http.token, or the"
      + " session of a one-time login URL (printed at start; 'daemon login-url' for another)")
  String http;

  @Option(names = "--timeout", paramLabel = "DURATION", description = "how long to wait for the supervisor's answer"
      + " (default 5s, e.g. 2s, 500ms); one that holds its home but does not answer in time is 'not responding' (exit 4)")
  String timeoutOption;

  @Option(names = "--child-user", paramLabel = "USER", description = "when agentd runs as root, the unprivileged account its"
      + " validator, executor and scheduler run as (default nobody; name a dedicated one in production)")
  String childUser;

  @Spec CommandLine.Model.CommandSpec spec;

  /** {@code --timeout}, else 5 s. */
  Duration timeout() {
    if (timeoutOption == null) {
      return Liveness.DEFAULT_TIMEOUT;
    }
    try {
      Duration d = Durations.parse(timeoutOption);
      if (!d.isZero()) {
        return d;
      }
    } catch (IllegalArgumentException e) {
      // the message below
    }
    throw new CommandLine.ParameterException(spec.commandLine(), "--timeout must be a positive duration such as 2s or 500ms, got '"
        + timeoutOption + "'");
  }

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
    FastStatus.Request fast = FastStatus.matches(args);
    System.exit(fast != null ? FastStatus.run(fast) : run(args));
  }

  /** Runs the CLI and returns its exit code (used by tests and {@code main}). */
  public static int run(String... args) {
    return run(null, null, args);
  }

  /** As {@link #run(String...)}, printing to {@code out} and {@code err} (null: stdout, stderr). */
  static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = commandLine();
    if (out != null) {
      cl.setOut(out);
    }
    if (err != null) {
      cl.setErr(err);
    }
    int code = cl.execute(args);
    cl.getOut().flush();
    cl.getErr().flush();
    return code;
  }

  /** The command tree, with agentd's handler for exceptions. */
  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Agentd());
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("agentd: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      return 1;
    });
    return cl;
  }

  /** The command {@code daemon start} runs in the background. */
  List<String> runCommand(AgentdHome h) {
    return runCommand(h, daemonOptions());
  }

  /** {@code daemon run} in a JVM of this launcher's class path (a new jar, for an upgrade) with {@code options}. */
  static List<String> runCommand(AgentdHome h, List<String> options) {
    List<String> cmd = new ArrayList<>(Trio.javaCommand(Agentd.class, Trio.DAEMON_JVM_FLAGS.toArray(String[]::new)));
    cmd.addAll(List.of("--home", h.root().toString()));
    cmd.addAll(options);
    cmd.addAll(List.of("daemon", "run"));
    return cmd;
  }

  /**
   * The options that shape a supervisor (everything but {@code --home}): what {@code daemon run}
   * records in {@code run/daemon.args}, so that {@code daemon upgrade} starts its successor the same way.
   */
  List<String> daemonOptions() {
    List<String> o = new ArrayList<>();
    if (config != null) {
      o.addAll(List.of("--config", config.toAbsolutePath().toString()));
    }
    o.addAll(List.of("--orphans", orphans));
    if (http != null) {
      o.addAll(List.of("--http", http));
    }
    if (childUser != null) {
      o.addAll(List.of("--child-user", childUser));
    }
    return o;
  }

  /** A call on the control socket; what it returns is the command's exit code. */
  @FunctionalInterface
  interface ControlCall {
    int run(ControlClient client) throws Exception;
  }

  /** As {@link #withControl(Duration, ControlCall)} with the {@code --timeout}. */
  int withControl(ControlCall call) throws Exception {
    return withControl(timeout(), call);
  }

  /**
   * Runs {@code call} against this home's supervisor, each of its requests answered within
   * {@code timeout}: its exit code, or "not running" (3), "not responding" (4), the RPC's error (1).
   */
  int withControl(Duration timeout, ControlCall call) throws Exception {
    AgentdHome h = home();
    try {
      return Liveness.ask(h.root(), timeout, t -> call.run(ControlClient.of(h.controlSocket(), t)));
    } catch (Liveness.NoAnswer e) {
      err().println(e.code() == NOT_RUNNING ? e.getMessage() + ": start it with 'agentd daemon start'" : e.getMessage());
      return e.code();
    } catch (RpcException e) {
      err().println("agentd: " + e.getMessage());
      return 1;
    }
  }

  DaemonHandle ensure(AgentdHome h) throws DaemonStartException {
    return Daemons.ensureRunning(DaemonSpec.of(h.root(), runCommand(h)).withStartTimeout(Duration.ofSeconds(90))
        .withAnswerTimeout(timeout()));
  }

  /**
   * What a failed {@link #ensure} prints, and its exit code: "not responding" (4) for a holder that
   * does not answer; for a supervisor left running with a child that cannot come up, which child
   * and the command that brings it back (1); otherwise the reason and the log tail (1).
   */
  int startFailed(AgentdHome h, DaemonStartException e) {
    if (e.kind() == DaemonStartException.Kind.NOT_RESPONDING) {
      err().println("agentd is not responding: " + e.getMessage() + "; end it and its children with 'agentd daemon kill'");
      return NOT_RESPONDING;
    }
    if (e.kind() == DaemonStartException.Kind.UNHEALTHY) {
      List<String> stuck = stuckChildren(h, e.pid().orElse(-1));
      if (!stuck.isEmpty()) {
        stuck.forEach(err()::println);
        return 1;
      }
    }
    err().println("agentd: " + e.getMessage());
    return 1;
  }

  /**
   * One line per child that cannot come up without an operator (FATAL, or EXITED with a failure
   * its policy does not restart): "agentd is running (pid N) but child 'x' is FATAL: why; fix it,
   * then run 'agentd daemon restart x'". Empty if there is none, or no answer.
   */
  List<String> stuckChildren(AgentdHome h, long pid) {
    List<String> out = new ArrayList<>();
    try {
      for (dev.supervisor.ChildStatus c : ControlClient.of(h.controlSocket(), timeout()).status().children()) {
        if (c.state() == dev.supervisor.ChildState.FATAL) {
          out.add("agentd is running (pid " + pid + ") but child '" + c.name() + "' is FATAL: " + c.reason().orElse("gave up")
              + "; fix it, then run 'agentd daemon restart " + c.name() + "'");
        } else if (c.state() == dev.supervisor.ChildState.EXITED && c.lastExit().map(x -> x.isFailure()).orElse(false)) {
          out.add("agentd is running (pid " + pid + ") but child '" + c.name() + "' EXITED with " + c.lastExit().get()
              + " and its restart policy does not restart it; fix it, then run 'agentd daemon start " + c.name() + "'");
        }
      }
    } catch (IOException | RpcException | RuntimeException ex) {
      return List.of();
    }
    return out;
  }

  // ------------------------------------------------------------------ daemon

  @Command(name = "daemon", description = "start | stop | restart | upgrade | reload | run | status | explain | serve | login-url | scale | kill")
  static final class DaemonCmd {
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
      try {
        pid = Liveness.ask(h.root(), top.timeout(), t -> ControlClient.of(h.controlSocket(), t).ping().pid());
      } catch (Liveness.NoAnswer e) {
        if (e.code() == NOT_RUNNING) {
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
          ControlClient.Pong p = c.ping();
          SupervisorStatus s = c.status();
          return String.format("agentd running (pid %d, up %ds), home %s%n", p.pid(), p.uptime().toSeconds(), h.root()) + s.toTable();
        });
        top.out().print(text);
        return 0;
      } catch (Liveness.NoAnswer e) {
        if (json) {
          top.out().println(Liveness.statusJson(h.root(), e));
          if (e.code() != NOT_RUNNING) {
            top.err().println(e.getMessage());
          }
        } else {
          top.out().println(e.getMessage());
        }
        return e.code();
      }
    }

    @Command(name = "serve", description = "run with the HTTP API and dashboard (--http, default " + DEFAULT_HTTP + ");"
        + " -d: in the background, as daemon start")
    int serve(@Option(names = "-d", description = "in the background") boolean background) throws Exception {
      if (top.http == null) {
        top.http = DEFAULT_HTTP;
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
        top.err().println(e.code() == NOT_RUNNING ? e.getMessage() + ": nothing to upgrade; start it with 'agentd daemon start'"
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
        d = Daemons.ensureRunning(DaemonSpec.of(h.root(), runCommand(h, options)).withStartTimeout(patience)
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
      // what a reload reads: the config file again; the built-in trio's specs come from code, so it has nothing to re-read
      dev.supervisor.ConfigSource source = top.config != null ? () -> SupervisorConfig.load(top.config).children() : sup::children;
      installReloadOnHangup(sup, source, out, top.err());
      try {
        sup.startAsync();
      } catch (AlreadyRunningException e) {
        top.err().println("agentd: " + e.getMessage().replace("supervisor", "agentd") + ", home " + h.root());
        return 1;
      }
      try { // what 'daemon upgrade' starts the successor with
        Path args = h.root().resolve("run").resolve("daemon.args");
        dev.supervisor.persist.OwnerOnly.createDirectories(args.getParent());
        dev.supervisor.persist.OwnerOnly.createFile(args);
        java.nio.file.Files.writeString(args, new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(top.daemonOptions()) + "\n");
      } catch (IOException e) {
        top.err().println("agentd: cannot record the options for 'daemon upgrade' in " + h.root().resolve("run") + ": " + e.getMessage());
      }
      HttpApi api = null;
      Path httpAddr = h.root().resolve("run").resolve("http.addr");
      try (ControlServer control = ControlServer.serve(sup, h.controlSocket(), Roles.ownerOnly(), source)) {
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

  /**
   * SIGHUP reloads, as 'daemon reload' does, and never stops a child or the supervisor (the JVM's
   * default would run the shutdown hooks). The reload runs on a thread of its own: a signal
   * handler must return at once.
   */
  static void installReloadOnHangup(Supervisor sup, dev.supervisor.ConfigSource source, PrintWriter out, PrintWriter err) {
    sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> {
      Thread t = new Thread(() -> {
        try {
          dev.supervisor.ReloadResult r = sup.reload(source, Duration.ofSeconds(60));
          out.println("agentd: SIGHUP: reloaded: added " + r.added() + ", removed " + r.removed() + ", restarted " + r.restarted()
              + ", unchanged " + r.unchanged());
          out.flush();
        } catch (Exception e) { // invalid config (already logged and evented), a child not coming back, not running yet
          err.println("agentd: SIGHUP: reload refused: " + e.getMessage());
          err.flush();
        }
      }, "agentd-reload");
      t.setDaemon(true);
      t.start();
    });
  }

  // ------------------------------------------------------------------ inspect

  @Command(name = "inspect", description = "a child's effective spec (secrets masked), policy, recent runs and dependencies")
  static final class InspectCmd implements Callable<Integer> {
    @ParentCommand Agentd top;
    @Parameters(paramLabel = "NAME") String name;
    @Option(names = "--json", description = "machine-readable") boolean json;

    @Override
    public Integer call() throws Exception {
      return top.withControl(c -> print(c.inspect(name)));
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
      dev.supervisor.LogTail.lastLines(file, lines).forEach(out::println);
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
      return top.withControl(c -> print(c.incidents(name, last)));
    }

    private int print(List<dev.supervisor.Incident> incidents) {
      PrintWriter out = top.out();
      if (json) {
        var arr = Jsons.MAPPER.createArrayNode();
        incidents.forEach(i -> arr.add(dev.supervisor.json.JsonForms.toJson(i)));
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
        return top.startFailed(h, e);
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
        try {
          long uid = ((Number) java.nio.file.Files.getAttribute(h.workDir("scheduler"), "unix:uid")).longValue();
          long gid = ((Number) java.nio.file.Files.getAttribute(h.workDir("scheduler"), "unix:gid")).longValue();
          ChildUser owner = new ChildUser("uid " + uid, uid, gid);
          for (String suffix : new String[] {"", "-wal", "-shm", "-journal"}) {
            owner.handBack(h.database().resolveSibling(h.database().getFileName() + suffix));
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
