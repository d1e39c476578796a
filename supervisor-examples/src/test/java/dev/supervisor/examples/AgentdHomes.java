package dev.supervisor.examples;

import dev.supervisor.testsupport.Pids;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
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

  /** What a test's cleanup runs to stop the home ({@code agentd daemon stop}). */
  @FunctionalInterface
  interface Stop {
    void run() throws Exception;
  }

  /**
   * Stops the home, then waits up to 30 s until nothing of it lives. What is left then (children a
   * failed test left without a supervisor: adopt mode keeps them alive, and {@code daemon stop}
   * finds no one to ask) is killed by pid, and the cleanup fails naming it.
   */
  static void stopAndCheck(Path home, Stop stop) throws Exception {
    stop.run();
    try {
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> processesOf(home).isEmpty());
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      List<String> left = processesOf(home);
      for (String l : left) {
        ProcessHandle.of(Long.parseLong(l.substring(0, l.indexOf(' ')))).ifPresent(ProcessHandle::destroyForcibly);
      }
      throw new AssertionError("processes of " + home + " outlived 'daemon stop' (now killed): " + left, e);
    }
  }
}
