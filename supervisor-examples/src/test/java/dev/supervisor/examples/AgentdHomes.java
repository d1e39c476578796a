package dev.supervisor.examples;

import dev.supervisor.testing.Pids;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What the end-to-end tests of agentd look for after a stop. */
final class AgentdHomes {
  private AgentdHomes() {}

  /** Every live process of {@code home}: its supervisor ({@code --home} in argv) and its children ({@code AGENTD_HOME} in environ). */
  static List<String> processesOf(Path home) throws IOException {
    List<String> out = new ArrayList<>();
    for (Pids.Live p : Pids.live()) {
      if ((p.cmdline() + " ").contains("--home " + home + " ") || Pids.hasEntry(p.environ(), "AGENTD_HOME=" + home)) {
        out.add(p.pid() + " " + p.cmdline());
      }
    }
    return out;
  }
}
