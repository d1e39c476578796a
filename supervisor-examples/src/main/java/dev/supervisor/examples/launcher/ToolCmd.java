package dev.supervisor.examples.launcher;

import dev.supervisor.examples.tools.Intent;
import dev.supervisor.examples.tools.ToolClient;
import dev.supervisor.ipc.RpcException;
import dev.supervisor.ipc.daemon.DaemonStartException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code agentd tool ...}: a tool call, approved by the validator, run by the executor. */
@Command(name = "tool", description = "ask the validator, then the executor (starts agentd if it is down)")
final class ToolCmd {
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
