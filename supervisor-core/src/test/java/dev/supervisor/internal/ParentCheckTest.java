package dev.supervisor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.supervisor.Privileges;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.TestProcesses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The check that a child's parent is still the supervisor comes after setpriv has set the
 * parent-death signal: a supervisor SIGKILLed between a check and the {@code prctl} would leave
 * its child running, unrecorded, beside the next supervisor's (ChaosTest caught this in CI).
 * The commands run here are the real ones, with a plain file standing for {@code cgroup.procs}.
 */
@ExtendWith(ProcessLeakGuard.class)
class ParentCheckTest {
  private static final long SELF = ProcessHandle.current().pid();
  @TempDir Path dir;

  private static List<String> command(Privileges p, Optional<Path> join, long supervisor, List<String> argv) {
    return PrivilegedCommand.command(p, true, argv, false, join, supervisor);
  }

  /** Runs the command from this JVM (its parent) and gives its exit code. */
  private static int run(List<String> command) throws Exception {
    Process p = TestProcesses.builder(command).redirectErrorStream(true).start();
    p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    return p.exitValue();
  }

  private List<String> marking(Path marker) {
    return List.of(ProcessGroups.tool("sh").orElseThrow(), "-c", "echo ran > \"$0\"", marker.toString());
  }

  @Test
  void everyCommandChecksItsParentOnlyAfterTheParentDeathSignalIsSet() {
    assumeTrue(ProcessGroups.tool("setpriv").isPresent(), "setpriv (util-linux) is not installed");
    List<Privileges> kinds = List.of(Privileges.none(), Privileges.builder().umask(0027).build(),
        Privileges.builder().user("nobody").build(), Privileges.builder().capabilities("CAP_NET_BIND_SERVICE").build());
    for (Privileges p : kinds) {
      for (Optional<Path> join : List.of(Optional.<Path>empty(), Optional.of(dir.resolve("cgroup.procs")))) {
        List<String> cmd = command(p, join, 4242, List.of("/bin/true"));
        int prctl = cmd.indexOf("--pdeathsig");
        int check = -1;
        for (int i = 0; i < cmd.size(); i++) {
          if (cmd.get(i).contains("$PPID")) {
            check = i;
          }
        }
        assertThat(prctl).as("%s, join %s: %s", p, join, cmd).isNotNegative();
        assertThat(check).as("the parent check of %s", cmd).isGreaterThan(prctl);
        assertThat(cmd.get(check + (cmd.get(check).contains("echo $$") ? 2 : 1))).isEqualTo("4242");
        if (join.isPresent()) {
          assertThat(cmd).as("joins exactly once: %s", cmd).filteredOn(a -> a.contains("echo $$ >")).hasSize(1);
        }
      }
    }
  }

  @Test
  void aChildWhoseSupervisorDiedBeforeItsParentDeathSignalNeverRunsItsProgram() throws Exception {
    assumeTrue(ProcessGroups.tool("setpriv").isPresent(), "setpriv (util-linux) is not installed");
    // its parent is this JVM, not the supervisor it was spawned for: as after a SIGKILL and re-parenting
    long dead = deadPid();
    Path marker = dir.resolve("ran");
    Path procs = dir.resolve("cgroup.procs");
    Files.createFile(procs);
    assertThat(run(command(Privileges.none(), Optional.empty(), dead, marking(marker)))).isEqualTo(1);
    assertThat(run(command(Privileges.none(), Optional.of(procs), dead, marking(marker)))).isEqualTo(1);
    assertThat(run(command(Privileges.builder().umask(0027).build(), Optional.empty(), dead, marking(marker)))).isEqualTo(1);
    assertThat(marker).doesNotExist();
    assertThat(Files.readString(procs)).as("no join for a child that does not run").isEmpty();
  }

  @Test
  void aChildOfALiveSupervisorJoinsAndRuns() throws Exception {
    assumeTrue(ProcessGroups.tool("setpriv").isPresent(), "setpriv (util-linux) is not installed");
    Path marker = dir.resolve("ran");
    Path procs = dir.resolve("cgroup.procs");
    Files.createFile(procs);
    assertThat(run(command(Privileges.none(), Optional.of(procs), SELF, marking(marker)))).isZero();
    assertThat(marker).hasContent("ran");
    assertThat(Files.readString(procs).trim()).matches("\\d+");
    Files.delete(marker);
    assertThat(run(command(Privileges.none(), Optional.empty(), SELF, marking(marker)))).isZero();
    assertThat(marker).hasContent("ran");
  }

  /** The join's shell redirects, which dash cannot do under a nofile of 11 or less: it runs before prlimit. */
  @Test
  void aLowOpenFileLimitStillLetsTheChildJoinAndRun() throws Exception {
    assumeTrue(ProcessGroups.tool("setpriv").isPresent() && ProcessGroups.tool("prlimit").isPresent(),
        "setpriv and prlimit (util-linux) are not installed");
    Path procs = dir.resolve("cgroup.procs");
    Files.createFile(procs);
    Privileges p = Privileges.builder().limit(dev.supervisor.ResourceLimit.NOFILE, 8).umask(0027).build();
    List<String> cmd = command(p, Optional.of(procs), SELF, List.of(ProcessGroups.tool("sh").orElseThrow(), "-c",
        "exec grep -c '^Max open files  *8  *8 ' /proc/self/limits"));
    Process proc = TestProcesses.builder(cmd).redirectErrorStream(true).start();
    String out = new String(proc.getInputStream().readAllBytes()).trim();
    assertThat(proc.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(proc.exitValue()).as("%s: %s", cmd, out).isZero();
    assertThat(out).as("the program runs under the limit").isEqualTo("1");
    assertThat(Files.readString(procs).trim()).matches("\\d+");
  }

  /** A pid that was this JVM's child and is gone now. */
  private static long deadPid() throws Exception {
    Process p = TestProcesses.start("true");
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    return p.pid();
  }

  @Test
  void theProgramIsFoundPastTheCheckForItsLandlockGrants() {
    assumeTrue(ProcessGroups.tool("setpriv").isPresent(), "setpriv (util-linux) is not installed");
    List<String> argv = new ArrayList<>(List.of("sleep", "1"));
    List<String> cmd = command(Privileges.none(), Optional.of(Path.of("/sys/fs/cgroup/x/cgroup.procs")), SELF, argv);
    Path sleep = Executables.resolve("sleep", java.util.Map.of("PATH", "/usr/bin:/bin"), null).orElseThrow();
    assertThat(PrivilegedCommand.runtimeGrants(cmd, java.util.Map.of("PATH", "/usr/bin:/bin"), null, Optional.empty()))
        .containsKey(sleep);
  }
}
