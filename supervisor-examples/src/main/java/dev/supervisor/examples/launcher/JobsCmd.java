package dev.supervisor.examples.launcher;

import dev.supervisor.examples.scheduler.JobStore;
import dev.supervisor.examples.tools.Intent;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code agentd jobs ...}: the scheduler's jobs. */
@Command(name = "jobs", description = "scheduled jobs: add | list | remove | runs")
final class JobsCmd {
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
