package dev.supervisor.examples;

import dev.supervisor.examples.bench.Bench;
import dev.supervisor.examples.demo.Demo;
import java.util.Arrays;

/**
 * Entry point of {@code supervisor-examples.jar}: {@code demo} (default) or {@code bench}.
 * The {@code agentd} launcher with its daemon commands replaces this in the launcher issue.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    String command = args.length == 0 ? "demo" : args[0];
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    switch (command) {
      case "demo":
        System.exit(Demo.run(rest));
        break;
      case "bench":
        System.exit(Bench.run(rest));
        break;
      case "-h":
      case "--help":
      case "help":
        System.out.println(USAGE);
        break;
      default:
        System.err.println("unknown command '" + command + "'\n" + USAGE);
        System.exit(2);
    }
  }

  static final String USAGE = String.join("\n",
      "usage: java -jar supervisor-examples.jar [demo|bench] [options]",
      "  demo  [--seconds N] [--home DIR]   supervise three demo children and print their status as they crash and come back",
      "  bench [restart|scale|all] [--kills N] [--children N] [--idle-seconds N]",
      "                                     restart latency after kill -9; start time, threads, RSS and idle CPU at N children");
}
