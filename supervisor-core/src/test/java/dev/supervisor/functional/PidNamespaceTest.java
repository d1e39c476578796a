package dev.supervisor.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.internal.ProcStat;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.SupervisorMain;
import dev.supervisor.testsupport.TestProcesses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The supervisor as a container runs it: PID 1 of a new PID namespace
 * ({@code unshare --pid --fork --mount-proc}). Orphans its children leave are re-parented to it
 * and must be reaped (JDK 22+), and SIGTERM, the container runtime's stop, must stop everything.
 */
@ExtendWith(ProcessLeakGuard.class)
class PidNamespaceTest {
  @TempDir Path dir;

  @Test
  void asPid1ItReapsReparentedOrphansAndStopsEverythingOnSigterm() throws Exception {
    Optional<String> unshare = java.util.stream.Stream.of("/usr/bin/unshare", "/bin/unshare").filter(p -> Files.isExecutable(Path.of(p)))
        .findFirst();
    assumeThat(unshare).as("unshare (util-linux)").isPresent();
    assumeThat(TestProcesses.run(unshare.get(), "--pid", "--fork", "--mount-proc", "true")).as("a new PID namespace (root)")
        .isZero();
    Path home = dir.resolve("home");
    // each round leaves an orphan: the subshell exits at once, its sleep is re-parented to PID 1 and exits 0.2 s later
    List<String> cmd = new ArrayList<>(List.of(unshare.get(), "--pid", "--fork", "--mount-proc"));
    cmd.addAll(SupervisorMain.command(home, "orphans=for i in 1 2 3; do (sleep 0.2 &); done; exec sleep 100000"));
    Path out = dir.resolve("jvm.log");
    Process ns = TestProcesses.start(TestProcesses.builder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()));
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(home.resolve("ready")) || !ns.isAlive());
      assertThat(ns.isAlive()).as("the supervisor in the namespace: %s", read(out)).isTrue();
      assertThat(Files.readString(home.resolve("ready")).trim()).as("its pid inside").isEqualTo("1");
      long jvm = ns.toHandle().children().findFirst().orElseThrow().pid(); // PID 1 inside, seen from here
      if (Runtime.version().feature() >= 22) {
        // the orphans become its zombie children, then are reaped (two scans 2 s apart): none is left
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> zombieChildren(jvm) > 0);
        await().atMost(Duration.ofSeconds(15)).until(() -> zombieChildren(jvm) == 0);
        assertThat(read(out)).contains("this supervisor is PID 1: orphaned descendants re-parented to it are reaped");
      } else {
        await().atMost(Duration.ofSeconds(5)).until(() -> read(out).contains("stay zombies until it exits"));
      }
      TestProcesses.run("kill", "-TERM", Long.toString(jvm));
      assertThat(ns.waitFor(30, TimeUnit.SECONDS)).as("the namespace ends after SIGTERM to its PID 1: %s", read(out)).isTrue();
      assertThat(read(out)).doesNotContain("Exception");
    } finally {
      if (ns.isAlive()) {
        ns.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        ns.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /** The zombies whose parent is {@code pid}, from {@code /proc} (the JDK's process listing may leave zombies out). */
  private static long zombieChildren(long pid) throws java.io.IOException {
    try (java.util.stream.Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs.map(p -> p.getFileName().toString()).filter(n -> n.chars().allMatch(Character::isDigit))
          .map(n -> ProcStat.read(Long.parseLong(n))).flatMap(Optional::stream)
          .filter(st -> st.ppid() == pid && st.state() == 'Z').count();
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
