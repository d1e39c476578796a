package dev.supervisor.functional;

import static dev.supervisor.testsupport.TestChildren.escapeScript;
import static dev.supervisor.testsupport.TestChildren.escapesItsGroup;
import static dev.supervisor.testsupport.TestChildren.sh;
import static dev.supervisor.testsupport.TestChildren.sleeps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.supervisor.ChildState;
import dev.supervisor.Permissions;
import dev.supervisor.Privileges;
import dev.supervisor.ResourceLimit;
import dev.supervisor.RestartPolicy;
import dev.supervisor.Supervisor;
import dev.supervisor.internal.Cgroups;
import dev.supervisor.internal.ProcStat;
import dev.supervisor.internal.SystemProcessLauncher;
import dev.supervisor.testsupport.Pids;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every process descended from a child stops with it, including one that called setsid or
 * double-forked: each child runs in a cgroup of its own, killed and removed with it.
 */
class ContainmentTest extends SupervisorFixture {

  /** The pids of the two grandchildren that left the child's process group, once both are written. */
  private List<Long> escaped(Supervisor s, String name, Path a, Path b) {
    await().atMost(WAIT).until(() -> Pids.readPid(a) > 0 && Pids.readPid(b) > 0);
    long leader = pid(s, name);
    List<Long> pids = List.of(Pids.readPid(a), Pids.readPid(b));
    for (long p : pids) {
      assertThat(Pids.alive(p)).as("grandchild %d", p).isTrue();
      assertThat(ProcStat.read(p).orElseThrow().pgrp()).as("grandchild %d left the group of %d", p, leader).isNotEqualTo(leader);
    }
    return pids;
  }

  private static Path cgroupOf(String name, long run) {
    return Cgroups.hierarchy(Cgroups.Mode.AUTO).orElseThrow().root().resolve(name + "-" + run);
  }

  private static void assumeCgroups() {
    assumeTrue(SystemProcessLauncher.INSTANCE.usesCgroups(),
        () -> "no cgroup can be made here: " + SystemProcessLauncher.INSTANCE.containment() + " (the fallback is tested below)");
  }

  @Test
  void escapedGrandchildrenAreGoneWhenCloseReturns() throws Exception {
    assumeCgroups();
    Path a = home.resolve("a.pid");
    Path b = home.resolve("b.pid");
    Supervisor s = start(escapesItsGroup("web", a, b).build());
    s.awaitHealthy(WAIT);
    List<Long> grandchildren = escaped(s, "web", a, b);
    Path cg = cgroupOf("web", 1);
    assertThat(Files.readString(Path.of("/proc", Long.toString(pid(s, "web")), "cgroup")))
        .contains(cg.getParent().getFileName() + "/web-1");
    s.close();
    assertThat(grandchildren).noneMatch(Pids::alive);
    assertThat(cg).doesNotExist();
  }

  @Test
  void escapedGrandchildrenAreGoneWhenAStoppedChildCountsAsStopped() throws Exception {
    assumeCgroups();
    Path a = home.resolve("a.pid");
    Path b = home.resolve("b.pid");
    Supervisor s = start(escapesItsGroup("web", a, b).build());
    s.awaitHealthy(WAIT);
    List<Long> grandchildren = escaped(s, "web", a, b);
    s.stop("web");
    await().atMost(WAIT).until(() -> child(s, "web").state() == ChildState.STOPPED);
    assertThat(grandchildren).noneMatch(Pids::alive);
    assertThat(cgroupOf("web", 1)).doesNotExist();
  }

  @Test
  void escapedGrandchildrenOfTheOldRunAreGoneAfterARestart() throws Exception {
    assumeCgroups();
    Path a = home.resolve("a.pid");
    Path b = home.resolve("b.pid");
    Supervisor s = start(escapesItsGroup("web", a, b).build());
    s.awaitHealthy(WAIT);
    List<Long> old = escaped(s, "web", a, b);
    long oldPid = pid(s, "web");
    Files.delete(a);
    Files.delete(b);
    s.restart("web");
    await().atMost(WAIT).until(() -> child(s, "web").runId() == 2 && child(s, "web").state() == ChildState.RUNNING);
    assertThat(old).noneMatch(Pids::alive);
    assertThat(Pids.alive(oldPid)).isFalse();
    assertThat(cgroupOf("web", 1)).doesNotExist();
    List<Long> fresh = escaped(s, "web", a, b);
    assertThat(cgroupOf("web", 2)).isDirectory();
    s.close();
    assertThat(fresh).noneMatch(Pids::alive);
    assertThat(cgroupOf("web", 2)).doesNotExist();
  }

  @Test
  void escapedGrandchildrenOfACrashedChildAreKilled() throws Exception {
    assumeCgroups();
    Path a = home.resolve("a.pid");
    Path b = home.resolve("b.pid");
    Supervisor s = start(sh("crasher", escapeScript(a, b) + "sleep 0.3; exit 3").restartPolicy(RestartPolicy.never()).build());
    await().atMost(WAIT).until(() -> Pids.readPid(a) > 0 && Pids.readPid(b) > 0);
    List<Long> grandchildren = List.of(Pids.readPid(a), Pids.readPid(b));
    await().atMost(WAIT).until(() -> child(s, "crasher").state() == ChildState.EXITED);
    await().atMost(Duration.ofSeconds(3)).until(() -> grandchildren.stream().noneMatch(Pids::alive));
    await().atMost(Duration.ofSeconds(3)).until(() -> !Files.exists(cgroupOf("crasher", 1)));
  }

  @Test
  void statusCountsTheProcessesOfEachChild() throws Exception {
    assumeCgroups();
    Path a = home.resolve("a.pid");
    Path b = home.resolve("b.pid");
    Supervisor s = start(sh("pair", "sleep 1000 & wait").build(), escapesItsGroup("web", a, b).build());
    s.awaitHealthy(WAIT);
    escaped(s, "web", a, b);
    await().atMost(WAIT).until(() -> child(s, "pair").processes().orElse(0) == 2); // sh + sleep
    assertThat(child(s, "web").processes()).hasValue(3); // sleep + the two that left its group
    assertThat(s.status().toTable()).contains("PROCS");
    s.stop("pair");
    await().atMost(WAIT).until(() -> child(s, "pair").state() == ChildState.STOPPED);
    assertThat(child(s, "pair").processes()).isEmpty();
  }

  /** The v1 hierarchies are used where v2 is missing; this host has them too, so each kind is checked. */
  @ParameterizedTest
  @EnumSource(value = Cgroups.Mode.class, names = {"V2", "V1_FREEZER", "V1_PIDS"})
  void eachKindOfCgroupKillsEscapedGrandchildren(Cgroups.Mode mode) throws Exception {
    SystemProcessLauncher launcher = SystemProcessLauncher.withContainment(mode);
    assumeTrue(launcher.usesCgroups(), () -> mode + " is not usable here: " + Cgroups.whyNot(mode));
    Path a = home.resolve("a.pid");
    Path b = home.resolve("b.pid");
    Supervisor s = start(x -> x.processLauncher(launcher), escapesItsGroup("web", a, b).build());
    s.awaitHealthy(WAIT);
    List<Long> grandchildren = escaped(s, "web", a, b);
    Path cg = Cgroups.hierarchy(mode).orElseThrow().root().resolve("web-1");
    assertThat(cg).isDirectory();
    assertThat(child(s, "web").processes()).hasValue(3);
    s.close();
    assertThat(grandchildren).noneMatch(Pids::alive);
    assertThat(cg).doesNotExist();
  }

  /**
   * Without a cgroup (forced here): the process group plus a sweep of descendants by their parent
   * chain. A setsid grandchild whose parent still lives is found and stopped; a daemon-style double
   * fork (its parent exited, it was re-parented to init) is not: that is what is lost, and what
   * the WARN says.
   */
  @Test
  void withoutCgroupsTheSweepFindsASetsidGrandchildButNotADoubleFork() throws Exception {
    SystemProcessLauncher launcher = SystemProcessLauncher.withContainment(Cgroups.Mode.PROCESS_GROUP);
    assertThat(launcher.usesCgroups()).isFalse();
    Path a = home.resolve("a.pid");
    Path b = home.resolve("b.pid");
    PrintStream err = System.err;
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Supervisor s;
    System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
    try {
      s = start(x -> x.processLauncher(launcher), escapesItsGroup("web", a, b).build());
      s.awaitHealthy(WAIT);
    } finally {
      System.setErr(err);
    }
    String warn = "containment: no cgroup per child (cgroups turned off (containment process-group)): process group plus a /proc sweep";
    assertThat(log.toString(StandardCharsets.UTF_8)).contains("WARN").contains(warn).contains("re-parented to init and not found");
    assertThat(launcher.containment()).contains("re-parented to init and not found");
    List<Long> grandchildren = escaped(s, "web", a, b);
    long setsid = grandchildren.get(0);
    long doubleFork = grandchildren.get(1);
    assertThat(child(s, "web").processes()).hasValue(1); // its process group: the escaped ones are not counted
    try {
      s.stop("web");
      await().atMost(WAIT).until(() -> child(s, "web").state() == ChildState.STOPPED);
      assertThat(Pids.alive(setsid)).as("setsid grandchild, found through its parent").isFalse();
      assertThat(Pids.alive(doubleFork)).as("double-forked grandchild, re-parented to init: not found without a cgroup").isTrue();
    } finally {
      ProcessHandle.of(doubleFork).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  void theSavedStateRecordsTheCgroupOfEachLiveRun() throws Exception {
    assumeCgroups();
    Supervisor s = start(sleeps("web").build());
    s.awaitHealthy(WAIT);
    Path state = home.resolve("state.json");
    await().atMost(WAIT).until(() -> Files.exists(state) && Files.readString(state).contains("\"cgroup\""));
    assertThat(Files.readString(state)).contains("\"cgroup\":\"" + cgroupOf("web", 1) + "\"");
  }

  /** A directory any user may write, for a child that runs as nobody; removed after the test. */
  private static Path openDir() throws Exception {
    Path d = Files.createTempDirectory("supervisor-containment-");
    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxrwx"));
    return d;
  }

  private static void removeDir(Path d) throws Exception {
    try (var files = Files.list(d)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
    }
    Files.deleteIfExists(d);
  }

  /** For a child that drops root the join comes first: before prlimit, the umask shell and setpriv dropping root. */
  @Test
  void aChildThatDropsRootIsJoinedToItsCgroupBeforeAndStaysContained() throws Exception {
    assumeCgroups();
    assumeTrue(ProcessHandle.current().info().user().orElse("").equals("root"), "switching users needs root (CI runs as root)");
    Path d = openDir();
    try {
      Path a = d.resolve("a.pid");
      Path b = d.resolve("b.pid");
      Supervisor s = start(escapesItsGroup("low", a, b).privileges(Privileges.builder().user("nobody").noNewPrivileges()
          .umask(0027).limit(ResourceLimit.NOFILE, 200).build()).build());
      s.awaitHealthy(WAIT);
      List<Long> grandchildren = escaped(s, "low", a, b);
      long pid = pid(s, "low");
      await().atMost(WAIT).until(() -> Files.readString(Path.of("/proc/" + pid + "/cmdline")).startsWith("sleep"));
      assertThat(Files.readString(Path.of("/proc/" + pid + "/status"))).contains("Uid:\t65534\t65534\t65534\t65534");
      assertThat(Files.readString(Path.of("/proc/" + pid + "/cgroup"))).contains("/low-1");
      assertThat(child(s, "low").processes()).hasValue(3);
      s.close();
      assertThat(grandchildren).noneMatch(Pids::alive);
      assertThat(cgroupOf("low", 1)).doesNotExist();
    } finally {
      removeDir(d);
    }
  }

  /**
   * A Landlock-restricted spawner may write only beneath its own cgroup slot (a rule holds an
   * inode, so the slot lives as long as the spawner thread); the child joins and is contained.
   */
  @Test
  @EnabledForJreRange(min = JRE.JAVA_22, disabledReason = "Landlock is applied through the FFM API of JDK 22+")
  void aLandlockedChildJoinsItsCgroupAndStaysContained() throws Exception {
    assumeCgroups();
    Path d = openDir();
    try {
      Path a = d.resolve("a.pid");
      Path b = d.resolve("b.pid");
      Permissions perm = Permissions.builder().write(d)
          .exec(Path.of("/usr/bin/setsid"), Path.of("/usr/bin/sleep"), Path.of("/usr/bin/mv")).build();
      Supervisor s = start(escapesItsGroup("boxed", a, b).privileges(Privileges.builder().permissions(perm).build()).build());
      s.awaitHealthy(WAIT);
      List<Long> grandchildren = escaped(s, "boxed", a, b);
      long pid = pid(s, "boxed");
      String cg = Files.readString(Path.of("/proc/" + pid + "/cgroup"));
      assertThat(cg).containsPattern("/ll-\\d+/boxed-1");
      assertThat(child(s, "boxed").processes()).hasValue(3);
      s.close();
      assertThat(grandchildren).noneMatch(Pids::alive);
    } finally {
      removeDir(d);
    }
  }

  @Test
  void aSavedCgroupIsUsedOnlyWhenItIsASupervisorsChildCgroup() throws Exception {
    assertThat(Cgroups.saved("/tmp")).isEmpty();
    assertThat(Cgroups.saved("relative/web-1")).isEmpty();
    assumeCgroups();
    Path root = Cgroups.hierarchy(Cgroups.Mode.AUTO).orElseThrow().root();
    assertThat(Cgroups.saved(root.getParent().toString())).as("the supervisor's own cgroup").isEmpty();
    assertThat(Cgroups.saved(root.resolve("no-such-child-1").toString())).isEmpty();
    Supervisor s = start(sleeps("web").build());
    s.awaitHealthy(WAIT);
    assertThat(Cgroups.saved(cgroupOf("web", 1).toString())).isPresent();
    assertThat(Cgroups.saved(cgroupOf("web", 1) + "/../..")).isEmpty();
  }
}
