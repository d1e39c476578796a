package dev.supervisor.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.supervisor.internal.SystemProcessLauncher;
import dev.supervisor.persist.PersistedState;
import dev.supervisor.persist.ProcessSignature;
import dev.supervisor.persist.StateStore;
import dev.supervisor.testsupport.Pids;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.SupervisorMain;
import dev.supervisor.testsupport.TestChildren;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The supervisor itself is SIGKILLed (a real JVM), and a new one recovers from its state file. */
@ExtendWith(ProcessLeakGuard.class)
class CrashRecoveryTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  @TempDir Path dir;
  private final List<Process> jvms = new ArrayList<>();

  private Path home() throws Exception {
    Path h = dir.resolve("home");
    Files.createDirectories(h);
    return h;
  }

  private Process supervisor(Path home, String... args) throws Exception {
    Files.deleteIfExists(home.resolve("ready"));
    Process p = SupervisorMain.launch(home, args);
    jvms.add(p);
    await().atMost(WAIT).until(() -> Files.exists(home.resolve("ready")) || !p.isAlive());
    assertThat(p.isAlive()).as("supervisor JVM is up").isTrue();
    return p;
  }

  private static PersistedState state(Path home) throws Exception {
    return StateStore.atomicJsonFile(home.resolve("state.json")).load().orElseThrow();
  }

  /** The children's pids in the saved state, once all are RUNNING under the given supervisor. */
  private static Map<String, Long> runningPids(Path home, Process sup, int n) throws Exception {
    await().atMost(WAIT).until(() -> {
      PersistedState s = state(home);
      return s.supervisor().map(ProcessSignature::pid).orElse(-1L) == sup.pid()
          && s.children().size() == n && s.children().stream().allMatch(c -> c.state().equals("RUNNING") && c.process().isPresent());
    });
    return state(home).children().stream().collect(Collectors.toMap(PersistedState.Child::name, c -> c.process().get().pid()));
  }

  private static void kill9(Process p) throws Exception {
    p.destroyForcibly();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
  }

  @AfterEach
  void stopJvms() throws Exception {
    for (Process p : jvms) {
      if (p.isAlive()) {
        p.destroy(); // SIGTERM: its shutdown hook stops the children
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }

  @Test
  void childrenDieWithAKilledSupervisorAndComeBackWithTheirCountsUnderTheNextOne() throws Exception {
    Path home = home();
    Path gcPid = dir.resolve("gc.pid");
    Path crashes = dir.resolve("crashes");
    String[] children = {
        "a=exec sleep 1000",
        // crashes twice (counting in a file), then stays up
        "b=echo x >> " + crashes + "; [ $(wc -l < " + crashes + ") -gt 2 ] && exec sleep 1000; exit 1",
        "c=(exec sleep 1000) & echo $! > " + gcPid + "; wait"};
    Process first = supervisor(home, children);
    // b is RUNNING for a moment in each of its two crashing runs too: wait for the run that stays
    await().atMost(WAIT).until(() -> state(home).child("b").map(c -> c.restarts() >= 2 && c.state().equals("RUNNING")).orElse(false));
    Map<String, Long> before = runningPids(home, first, 3);
    assertThat(state(home).child("b").orElseThrow().restarts()).isEqualTo(2);
    long grandchild = Pids.readPid(gcPid);
    assertThat(Pids.alive(grandchild)).isTrue();

    kill9(first);
    // the parent-death signal takes the children down with the supervisor...
    await().atMost(Duration.ofSeconds(5)).until(() -> before.values().stream().noneMatch(Pids::alive));
    // ...but not the grandchild, which the next supervisor's recovery finds in the old process group
    assertThat(Pids.alive(grandchild)).isTrue();

    Process second = supervisor(home, children);
    Map<String, Long> after = runningPids(home, second, 3);
    assertThat(after.values()).doesNotContainAnyElementsOf(before.values());
    assertThat(Pids.alive(grandchild)).as("leftover grandchild killed by recovery").isFalse();
    PersistedState s = state(home);
    assertThat(s.child("b").orElseThrow().restarts()).as("restart count carried over, plus the crash").isEqualTo(3);
    assertThat(s.child("a").orElseThrow().lastExit().orElseThrow().toString()).isEqualTo("unknown exit (exited while the supervisor was down)");
  }

  @Test
  void orphansOfAKilledSupervisorAreKilledAndStartedFresh() throws Exception {
    Path home = home();
    String[] children = {"--no-pdeathsig", "a=exec sleep 1000", "b=trap '' TERM; while :; do sleep 0.05; done"};
    Process first = supervisor(home, children);
    Map<String, Long> before = runningPids(home, first, 2);
    kill9(first);
    assertThat(before.values()).allMatch(Pids::alive); // no parent-death signal: they outlive it

    Process second = supervisor(home, children);
    Map<String, Long> after = runningPids(home, second, 2);
    assertThat(before.values()).noneMatch(Pids::alive);
    assertThat(after.values()).doesNotContainAnyElementsOf(before.values());
  }

  @Test
  void withAdoptionTheOrphansAreReattached() throws Exception {
    Path home = home();
    String[] children = {"--adopt", "a=exec sleep 1000", "b=exec sleep 1000", "c=exec sleep 1000"};
    Process first = supervisor(home, children);
    Map<String, Long> before = runningPids(home, first, 3);
    kill9(first);
    assertThat(before.values()).allMatch(Pids::alive);

    Process second = supervisor(home, children);
    Map<String, Long> after = runningPids(home, second, 3);
    assertThat(after).isEqualTo(before);
    assertThat(state(home).children()).allSatisfy(c -> assertThat(c.reason()).contains("adopted from a crashed supervisor"));
    // the adopted children are stopped with their new supervisor
    second.destroy();
    assertThat(second.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(before.values()).noneMatch(Pids::alive);
  }

  @Test
  void recoveryKillsWhatIsLeftInTheCgroupOfAKilledSupervisorsChild() throws Exception {
    assumeTrue(SystemProcessLauncher.INSTANCE.usesCgroups(), SystemProcessLauncher.INSTANCE::containment);
    Path home = home();
    Path a = dir.resolve("a.pid");
    Path b = dir.resolve("b.pid");
    String[] children = {"web=" + TestChildren.escapeScript(a, b) + "exec sleep 100000"};
    Process first = supervisor(home, children);
    Map<String, Long> before = runningPids(home, first, 1);
    await().atMost(WAIT).until(() -> Pids.readPid(a) > 0 && Pids.readPid(b) > 0);
    List<Long> escaped = List.of(Pids.readPid(a), Pids.readPid(b));
    await().atMost(WAIT).until(() -> state(home).child("web").orElseThrow().cgroup().isPresent());
    Path cgroup = Path.of(state(home).child("web").orElseThrow().cgroup().get());
    assertThat(cgroup.getParent().getFileName().toString()).isEqualTo("supervisor-" + first.pid());

    kill9(first);
    await().atMost(Duration.ofSeconds(5)).until(() -> before.values().stream().noneMatch(Pids::alive));
    // outside the process group and the parent-death signal: only their cgroup still holds them
    assertThat(escaped).allMatch(Pids::alive);
    assertThat(cgroup).isDirectory();

    Process second = supervisor(home, children);
    runningPids(home, second, 1);
    assertThat(escaped).as("left in the cgroup of the dead supervisor's child").noneMatch(Pids::alive);
    assertThat(cgroup).doesNotExist();
    assertThat(cgroup.getParent()).as("the dead supervisor's cgroup directory").doesNotExist();
  }

  @Test
  void anAdoptedChildIsStoppedWithEverythingInItsCgroup() throws Exception {
    assumeTrue(SystemProcessLauncher.INSTANCE.usesCgroups(), SystemProcessLauncher.INSTANCE::containment);
    Path home = home();
    Path a = dir.resolve("a.pid");
    Path b = dir.resolve("b.pid");
    String[] children = {"--adopt", "web=" + TestChildren.escapeScript(a, b) + "exec sleep 100000"};
    Process first = supervisor(home, children);
    Map<String, Long> before = runningPids(home, first, 1);
    await().atMost(WAIT).until(() -> Pids.readPid(a) > 0 && Pids.readPid(b) > 0);
    List<Long> escaped = List.of(Pids.readPid(a), Pids.readPid(b));
    kill9(first);

    Process second = supervisor(home, children);
    assertThat(runningPids(home, second, 1)).isEqualTo(before);
    Path cgroup = Path.of(state(home).child("web").orElseThrow().cgroup().orElseThrow());
    assertThat(cgroup.getParent().getFileName().toString()).as("still the cgroup made by the first").isEqualTo("supervisor-" + first.pid());
    second.destroy();
    assertThat(second.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(before.values()).noneMatch(Pids::alive);
    assertThat(escaped).noneMatch(Pids::alive);
    assertThat(cgroup).doesNotExist();
  }
}
