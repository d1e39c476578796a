package dev.supervisor.examples.launcher;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code agentd inspect NAME}: a child's effective spec, policy, recent runs and dependencies. */
@Command(name = "inspect", description = "a child's effective spec (secrets masked), policy, recent runs and dependencies")
final class InspectCmd implements Callable<Integer> {
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
