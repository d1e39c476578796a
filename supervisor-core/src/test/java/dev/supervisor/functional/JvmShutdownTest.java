package dev.supervisor.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.supervisor.internal.SystemProcessLauncher;
import dev.supervisor.testsupport.Pids;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.SupervisorMain;
import dev.supervisor.testsupport.TestChildren;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(ProcessLeakGuard.class)
class JvmShutdownTest {
  @TempDir Path dir;

  @Test
  void sigtermToTheHostJvmStopsEveryChildAndGrandchild() throws Exception {
    Path home = Files.createDirectory(dir.resolve("home"));
    Path grandchildPid = dir.resolve("gc.pid");
    Process jvm = SupervisorMain.launch(home,
        "plain=exec sleep 1000",
        "stubborn=trap '' TERM; while :; do sleep 0.05; done",
        "forker=(trap '' TERM; exec sleep 1000) & echo $! > " + grandchildPid + "; wait");
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(home.resolve("ready")) && Pids.readPid(grandchildPid) > 0);
      assertThat(ProcessLeakGuard.findMarked(ProcessLeakGuard.mark())).hasSizeGreaterThanOrEqualTo(4);
      jvm.destroy(); // SIGTERM
      assertThat(jvm.waitFor(20, TimeUnit.SECONDS)).as("supervisor JVM exits after SIGTERM").isTrue();
      assertThat(ProcessLeakGuard.findMarked(ProcessLeakGuard.mark())).as("processes left after the JVM's shutdown hook").isEmpty();
      assertThat(Files.readString(home.resolve("logs/supervisor-events.jsonl"))).contains("\"to\":\"TERMINATED\"");
    } finally {
      jvm.destroyForcibly();
    }
  }

  @Test
  void sigtermToTheHostJvmStopsGrandchildrenThatLeftTheProcessGroup() throws Exception {
    assumeTrue(SystemProcessLauncher.INSTANCE.usesCgroups(), SystemProcessLauncher.INSTANCE::containment);
    Path home = Files.createDirectory(dir.resolve("home"));
    Path a = dir.resolve("a.pid");
    Path b = dir.resolve("b.pid");
    Process jvm = SupervisorMain.launch(home, "escaper=" + TestChildren.escapeScript(a, b) + "exec sleep 100000");
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(home.resolve("ready")) && Pids.readPid(a) > 0 && Pids.readPid(b) > 0);
      assertThat(Pids.alive(Pids.readPid(a))).isTrue();
      assertThat(Pids.alive(Pids.readPid(b))).isTrue();
      jvm.destroy(); // SIGTERM: the shutdown hook closes the supervisor
      assertThat(jvm.waitFor(20, TimeUnit.SECONDS)).as("supervisor JVM exits after SIGTERM").isTrue();
      assertThat(ProcessLeakGuard.findMarked(ProcessLeakGuard.mark())).as("processes left after the JVM's shutdown hook").isEmpty();
    } finally {
      jvm.destroyForcibly();
    }
  }
}
