package dev.supervisor.examples.launcher;

import dev.supervisor.Durations;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code agentd logs NAME}: a child's log, or following it, across rotations. */
@Command(name = "logs", description = "print a child's log (-n lines), or follow it (-f), across rotations")
final class LogsCmd implements Callable<Integer> {
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
