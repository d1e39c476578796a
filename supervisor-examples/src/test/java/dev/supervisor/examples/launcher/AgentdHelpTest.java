package dev.supervisor.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --help} and {@code -h} on every command of the tree, at every depth. */
class AgentdHelpTest {
  record Run(int code, String out, String err) {}

  private static Run agentd(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Agentd.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(code, out.toString(), err.toString());
  }

  /** Every command path of the tree: [], [daemon], [daemon, start], ... */
  private static void paths(CommandLine cl, List<String> prefix, List<List<String>> out) {
    out.add(prefix);
    cl.getSubcommands().forEach((name, sub) -> {
      List<String> p = new ArrayList<>(prefix);
      p.add(name);
      paths(sub, p, out);
    });
  }

  /** Issue: 'agentd daemon --help' printed "Unknown option: '--help'". */
  @Test
  void everyCommandAtEveryDepthAnswersHelp() {
    List<List<String>> all = new ArrayList<>();
    paths(Agentd.commandLine(), List.of(), all);
    assertThat(all).as("the tree was walked").hasSizeGreaterThan(25).contains(List.of("daemon"), List.of("daemon", "restart"),
        List.of("tool", "list"), List.of("jobs", "add"));
    for (List<String> path : all) {
      for (String help : List.of("--help", "-h")) {
        List<String> args = new ArrayList<>(path);
        args.add(help);
        Run r = agentd(args.toArray(String[]::new));
        assertThat(r.code()).as("agentd %s", args).isZero();
        assertThat(r.err()).as("agentd %s", args).isEmpty();
        assertThat(r.out()).as("agentd %s", args).startsWith(String.join(" ", concat("Usage: agentd", path)) + " ");
      }
    }
  }

  private static List<String> concat(String first, List<String> rest) {
    List<String> l = new ArrayList<>(List.of(first));
    l.addAll(rest);
    return l;
  }

}
