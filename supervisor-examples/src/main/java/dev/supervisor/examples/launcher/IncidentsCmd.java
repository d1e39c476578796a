package dev.supervisor.examples.launcher;

import dev.supervisor.examples.tools.Jsons;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code agentd incidents [NAME]}: the recorded crashes and hang-kills. */
@Command(name = "incidents", description = "recorded crashes and hang-kills (of NAME, or of every child), oldest first:"
    + " exit, uptime, peak rss, cpu, the restart decision and the last lines of output")
final class IncidentsCmd implements Callable<Integer> {
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
