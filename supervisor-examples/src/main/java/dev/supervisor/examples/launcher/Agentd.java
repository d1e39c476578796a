package dev.supervisor.examples.launcher;

import dev.supervisor.Durations;
import dev.supervisor.OrphanPolicy;
import dev.supervisor.examples.bench.Bench;
import dev.supervisor.examples.demo.Demo;
import dev.supervisor.ipc.RpcException;
import dev.supervisor.ipc.control.ControlClient;
import dev.supervisor.ipc.daemon.DaemonHandle;
import dev.supervisor.ipc.daemon.DaemonSpec;
import dev.supervisor.ipc.daemon.DaemonStartException;
import dev.supervisor.ipc.daemon.Daemons;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code agentd}: run and talk to a supervisor of validator, executor and scheduler (or of the children in a config file). */
// scope INHERIT: every subcommand, at every depth, gets --help and --version too (none can be forgotten)
@Command(name = "agentd", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "agentd 0.1",
    description = "Supervises a validator, an executor and a scheduler (or the children of --config).",
    subcommands = {DaemonCmd.class, InspectCmd.class, LogsCmd.class, IncidentsCmd.class, ToolCmd.class, JobsCmd.class, Agentd.DemoCmd.class, Agentd.BenchCmd.class})
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
    if (foregroundSupervisor(args)) { // started by hand or by a unit with the JVM's defaults: relaunched lean (JDK 22+)
      dev.supervisor.ipc.daemon.LeanJvm.relaunch(Agentd.class, args).ifPresent(why -> System.err.println("agentd: WARN " + why));
    }
    FastStatus.Request fast = FastStatus.matches(args);
    System.exit(fast != null ? FastStatus.run(fast) : run(args));
  }

  /** Whether {@code args} run a supervisor in this JVM: {@code daemon run}, or {@code daemon serve} without {@code -d}. */
  static boolean foregroundSupervisor(String... args) {
    List<String> a = List.of(args);
    for (int i = 0; i + 1 < a.size(); i++) {
      String sub = a.get(i + 1);
      if (a.get(i).equals("daemon") && (sub.equals("run") || sub.equals("serve") && !a.subList(i + 2, a.size()).contains("-d"))
          && onlyOptionsBefore(a.subList(0, i))) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code a} is top-level options only: each token an option, or the value right after one ({@code --home H}). */
  private static boolean onlyOptionsBefore(List<String> a) {
    for (int i = 0; i < a.size(); i++) {
      boolean option = a.get(i).startsWith("-") && !a.get(i).equals("--");
      boolean value = i > 0 && a.get(i - 1).startsWith("--") && !a.get(i - 1).contains("=") && !a.get(i).startsWith("-");
      if (!option && !value) {
        return false; // a subcommand (tool, jobs...): daemon run is its argument, not ours
      }
    }
    return true;
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

  @Command(name = "demo", description = "supervise three demo children for a while, printing their status (--seconds N, --home DIR)")
  static final class DemoCmd implements Callable<Integer> {
    @CommandLine.Unmatched List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      return Demo.run(args.toArray(String[]::new));
    }
  }

  @Command(name = "bench", description = "benchmarks: restart | scale | recovery | storm | ipc | ensure | family | all (--kills N, --children N, --idle-seconds N, --privileges user,nnp,caps,limits,umask,landlock,net)")
  static final class BenchCmd implements Callable<Integer> {
    @CommandLine.Unmatched List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      return Bench.run(args.toArray(String[]::new));
    }
  }
}
