package dev.supervisor.functional;

import static dev.supervisor.testsupport.TestChildren.forksGrandchild;
import static dev.supervisor.testsupport.TestChildren.ignoresSigterm;
import static dev.supervisor.testsupport.TestChildren.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.ExitStatus;
import dev.supervisor.StopSignal;
import dev.supervisor.Supervisor;
import dev.supervisor.internal.NativeSpawns;
import dev.supervisor.internal.SystemProcessLauncher;
import dev.supervisor.internal.SystemProcessLauncher.Spawn;
import dev.supervisor.spi.LaunchRequest;
import dev.supervisor.spi.LaunchedProcess;
import dev.supervisor.testsupport.Pids;
import dev.supervisor.testsupport.ProcessLeakGuard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The behaviours both spawns must share, run against each ({@link Spawn#JDK}: ProcessBuilder,
 * {@code setsid} and a reaper thread per child; {@link Spawn#FFM}: {@code posix_spawn} and the
 * one exit-watch thread, JDK 22+ only), through the public launcher seam and through a supervisor.
 * Where the two differ by design (the JDK's exit value cannot tell {@code exit(137)} from SIGKILL,
 * nor see a core dump) the test says so.
 */
class ProcessLayersTest extends SupervisorFixture {
  private final List<LaunchedProcess> launched = new ArrayList<>();

  @AfterEach
  void releaseLaunched() {
    for (LaunchedProcess p : launched) {
      p.killGroupAndWait();
      p.release();
      p.onExitStatus().orTimeout(10, TimeUnit.SECONDS).join();
    }
  }

  private static SystemProcessLauncher launcher(Spawn spawn) {
    if (spawn == Spawn.FFM) {
      assumeThat(NativeSpawns.active()).as("posix_spawn through the FFM API needs JDK 22+ (this is JDK %d) and the"
          + " default -Dsupervisor.processLayer", Runtime.version().feature()).isTrue();
    }
    SystemProcessLauncher l = SystemProcessLauncher.withSpawn(spawn);
    assertThat(l.spawnsNatively()).isEqualTo(spawn == Spawn.FFM);
    return l;
  }

  private LaunchedProcess launch(Spawn spawn, ChildSpec spec, Optional<Path> log) throws IOException {
    Map<String, String> env = new LinkedHashMap<>(spec.env());
    env.put("PATH", "/usr/bin:/bin");
    LaunchedProcess p = launcher(spawn).launch(new LaunchRequest(spec, 1, env, log, true));
    launched.add(p);
    return p;
  }

  private ExitStatus exitOf(Spawn spawn, String script) throws Exception {
    return launch(spawn, sh("x", script).workingDirectory(home).build(), Optional.empty()).onExitStatus()
        .get(10, TimeUnit.SECONDS);
  }

  @ParameterizedTest
  @EnumSource(value = Spawn.class, names = {"JDK", "FFM"})
  void exitCodesAndSignalsAreDecoded(Spawn spawn) throws Exception {
    assertThat(exitOf(spawn, "exit 0")).isEqualTo(ExitStatus.exited(0));
    assertThat(exitOf(spawn, "exit 3")).isEqualTo(ExitStatus.exited(3));
    assertThat(exitOf(spawn, "exit 255")).isEqualTo(ExitStatus.exited(255));
    for (String signal : List.of("HUP", "INT", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM")) {
      assertThat(exitOf(spawn, "kill -" + signal + " $$")).as("SIG%s", signal).isEqualTo(ExitStatus.signaled(signal));
    }
    // exit(137) and a core dump: the JDK's exit value reads the first as SIGKILL and cannot see the second
    assertThat(exitOf(spawn, "exit 137")).isEqualTo(spawn == Spawn.FFM ? ExitStatus.exited(137) : ExitStatus.signaled("KILL"));
    ExitStatus quit = exitOf(spawn, "ulimit -c unlimited; kill -QUIT $$");
    if (spawn == Spawn.JDK && Runtime.version().feature() < 25) {
      // JDK 17's ProcessBuilder leaves SIGQUIT blocked in its children (see aChildStartsWithNoSignalBlockedOrIgnored)
      assertThat(quit).isIn(ExitStatus.exited(0), ExitStatus.signaled("QUIT"));
      return;
    }
    assertThat(quit.signal()).hasValue("QUIT");
    if (spawn == Spawn.FFM) {
      // the kernel wrote a core (core_pattern "core" puts it in the working directory) or said why not: either way
      // the status says what happened
      boolean cored = Files.list(home).anyMatch(f -> f.getFileName().toString().startsWith("core"));
      assertThat(quit.coreDumped()).as("a core file in %s", home).isEqualTo(cored);
      assertThat(quit.toString()).isEqualTo(cored ? "signal QUIT (core dumped)" : "signal QUIT");
    } else {
      assertThat(quit.coreDumped()).isFalse();
    }
  }

  @ParameterizedTest
  @EnumSource(value = Spawn.class, names = {"JDK", "FFM"})
  void aChildLeadsItsOwnSessionWithOnlyItsStandardStreamsOpen(Spawn spawn) throws Exception {
    Path log = home.resolve("logs/x.log");
    Path dir = Files.createDirectories(home.resolve("work dir"));
    // its descriptors are read from here while it waits in 'sleep': a pipeline or a redirection of its own would add some
    LaunchedProcess p = launch(spawn, sh("x", "echo \"cwd=$(pwd)\"; echo \"a=$A\"; echo err >&2; readlink /proc/$$/fd/0;"
        + " cut -d' ' -f6 /proc/$$/stat; read line; echo \"read=$? [$line]\"; echo waiting; sleep 2").env("A", "one two")
        .workingDirectory(dir).build(), Optional.of(log));
    await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log) && Files.readAllLines(log).contains("waiting"));
    try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(p.pid()), "fd"))) {
      assertThat(fds.map(f -> f.getFileName().toString()).sorted()).as("its open descriptors").containsExactly("0", "1", "2");
    }
    assertThat(p.onExitStatus().get(10, TimeUnit.SECONDS)).isEqualTo(ExitStatus.exited(0));
    List<String> lines = Files.readAllLines(log);
    assertThat(lines).as("the child's output").containsSubsequence("cwd=" + dir, "a=one two");
    assertThat(lines).contains("err", "/dev/null", Long.toString(p.pid()), "read=1 []");
    assertThat(Files.getPosixFilePermissions(log)).extracting(Enum::name).containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
    // appended, never truncated
    launch(spawn, sh("x", "echo second").build(), Optional.of(log)).onExitStatus().get(10, TimeUnit.SECONDS);
    assertThat(Files.readAllLines(log)).startsWith(lines.toArray(String[]::new)).endsWith("second");
  }

  @ParameterizedTest
  @EnumSource(value = Spawn.class, names = {"JDK", "FFM"})
  void aChildStartsWithNoSignalBlockedOrIgnored(Spawn spawn) throws Exception {
    Path log = home.resolve("mask.log");
    // the program itself reads its mask (a waiting shell's own mask is not what it inherited)
    launch(spawn, sh("x", "exec grep -E '^Sig(Blk|Ign)' /proc/self/status").build(), Optional.of(log)).onExitStatus()
        .get(10, TimeUnit.SECONDS);
    Map<String, Long> mask = new LinkedHashMap<>();
    for (String l : Files.readAllLines(log)) {
      mask.put(l.substring(0, 6), Long.parseUnsignedLong(l.substring(7).trim(), 16));
    }
    // glibc keeps its two internal real-time signals (32, 33) out of any set a program can name: they are left as inherited
    long named = 0x7fffffffL;
    if (spawn == Spawn.FFM || Runtime.version().feature() >= 25) {
      assertThat(mask.get("SigBlk") & named).as("blocked signals, %s", mask).isZero();
    } else { // seen on JDK 17, not on 25: ProcessBuilder passes on the JVM's blocked SIGQUIT (its thread-dump signal)
      assertThat(mask.get("SigBlk") & named).as("blocked signals, %s", mask).isIn(0L, 1L << 2);
    }
    assertThat(mask.get("SigIgn") & named).as("ignored signals, %s", mask).isZero();
  }

  @ParameterizedTest
  @EnumSource(value = Spawn.class, names = {"JDK", "FFM"})
  void theEnvironmentIsExactlyTheRequestedOne(Spawn spawn) throws Exception {
    Path log = home.resolve("env.log");
    launch(spawn, sh("x", "env").env("ONLY", "this").build(), Optional.of(log)).onExitStatus().get(10, TimeUnit.SECONDS);
    assertThat(Files.readAllLines(log)).filteredOn(l -> !l.startsWith("PWD=") && !l.startsWith("SHLVL=") && !l.startsWith("_="))
        .containsExactlyInAnyOrder("ONLY=this", "PATH=/usr/bin:/bin", ProcessLeakGuard.MARK_VAR + "=" + ProcessLeakGuard.mark());
  }

  @ParameterizedTest
  @EnumSource(value = Spawn.class, names = {"JDK", "FFM"})
  void aMissingProgramOrDirectoryIsAStartFailureThatSaysWhich(Spawn spawn) {
    SystemProcessLauncher l = launcher(spawn);
    ChildSpec missing = ChildSpec.builder("m").argv(home.resolve("no-such-program").toString()).build();
    assertThatThrownBy(() -> l.launch(new LaunchRequest(missing, 1, Map.of(), Optional.empty(), true)))
        .isInstanceOf(IOException.class).hasMessageContaining("no-such-program");
    ChildSpec noDir = sh("d", "true").workingDirectory(home.resolve("gone")).build();
    assertThatThrownBy(() -> l.launch(new LaunchRequest(noDir, 1, Map.of("PATH", "/usr/bin:/bin"), Optional.empty(), true)))
        .isInstanceOf(IOException.class).hasMessageContaining(home.resolve("gone").toString());
  }

  @ParameterizedTest
  @EnumSource(value = Spawn.class, names = {"JDK", "FFM"})
  void exitsAreWatchedWithoutAThreadPerChild(Spawn spawn) throws Exception {
    int before = Thread.getAllStackTraces().size();
    List<LaunchedProcess> ps = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      ps.add(launch(spawn, sh("s" + i, "exec sleep 1000").build(), Optional.empty()));
    }
    int grown = Thread.getAllStackTraces().size() - before;
    if (spawn == Spawn.FFM) {
      assertThat(grown).as("threads added for 40 children").isLessThanOrEqualTo(3);
    } else {
      assertThat(grown).as("the JDK's reaper threads for 40 children").isGreaterThanOrEqualTo(30);
    }
    for (LaunchedProcess p : ps) {
      p.signalGroup("TERM");
    }
    for (LaunchedProcess p : ps) {
      assertThat(p.onExitStatus().get(10, TimeUnit.SECONDS)).isEqualTo(ExitStatus.signaled("TERM"));
    }
  }

  @ParameterizedTest
  @EnumSource(value = Spawn.class, names = {"JDK", "FFM"})
  void aSupervisorRestartsAKilledChildAndStopsAStubbornOneWithItsGrandchildren(Spawn spawn) throws Exception {
    Path pidFile = home.resolve("grandchild.pid");
    Supervisor s = start(b -> b.processLauncher(launcher(spawn)), sh("crashy", "exec sleep 1000").build(),
        ignoresSigterm("stubborn").stopGrace(Duration.ofMillis(300)).build(),
        forksGrandchild("parent", pidFile).stopGrace(Duration.ofMillis(300)).build());
    s.awaitHealthy(WAIT);
    assertThat(s.processLayer()).isEqualTo(spawn == Spawn.FFM ? "ffm (posix_spawn, pidfd exits, kill(2))"
        : launcher(Spawn.JDK).layer());
    long first = pid(s, "crashy");
    Pids.kill9(first);
    await().atMost(WAIT).until(() -> pid(s, "crashy") > 0 && pid(s, "crashy") != first
        && child(s, "crashy").state() == ChildState.RUNNING);
    assertThat(child(s, "crashy").lastExit()).contains(ExitStatus.signaled("KILL"));
    await().atMost(WAIT).until(() -> Pids.readPid(pidFile) > 0);
    long grandchild = Pids.readPid(pidFile);
    long stubborn = pid(s, "stubborn");
    s.stopAsync().awaitStopped(WAIT);
    assertThat(child(s, "stubborn").lastExit()).contains(ExitStatus.signaled("KILL").asRequested());
    assertThat(Pids.alive(stubborn)).isFalse();
    assertThat(Pids.alive(grandchild)).as("grandchild %d after stop", grandchild).isFalse();
  }

  @ParameterizedTest
  @EnumSource(value = Spawn.class, names = {"JDK", "FFM"})
  void aChildStoppedBySigquitStopsByIt(Spawn spawn) throws Exception {
    Supervisor s = start(b -> b.processLauncher(launcher(spawn)),
        sh("graceful", "exec sleep 1000").stopSignal(StopSignal.QUIT).stopGrace(Duration.ofMillis(500)).build());
    s.awaitHealthy(WAIT);
    s.stop("graceful");
    await().atMost(WAIT).until(() -> child(s, "graceful").state() == ChildState.STOPPED);
    boolean blocked = spawn == Spawn.JDK && Runtime.version().feature() < 25; // JDK 17 leaves SIGQUIT blocked: the grace runs out
    assertThat(child(s, "graceful").lastExit()).contains(ExitStatus.signaled(blocked ? "KILL" : "QUIT").asRequested());
  }

  @ParameterizedTest
  @EnumSource(value = Spawn.class, names = {"JDK", "FFM"})
  void aScriptWithoutAShebangRunsWithShAndAnEmptyPathEntryIsTheWorkingDirectory(Spawn spawn) throws Exception {
    launcher(spawn); // the assumption
    Path dir = Files.createDirectories(home.resolve("bin"));
    Path script = dir.resolve("plain");
    Files.writeString(script, "echo \"plain $1\"\n");
    Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    Path log = home.resolve("plain.log");
    // no wrapper in front (no cgroup join, no parent-death signal): the program itself is what the spawn execs
    SystemProcessLauncher bare = SystemProcessLauncher.withSpawn(spawn, dev.supervisor.internal.Cgroups.Mode.PROCESS_GROUP);
    ChildSpec spec = ChildSpec.builder("plain").argv("plain", "one").workingDirectory(dir)
        .env(ProcessLeakGuard.MARK_VAR, ProcessLeakGuard.mark()).build();
    LaunchedProcess p = bare.launch(new LaunchRequest(spec, 1, Map.of("PATH", ":/usr/bin:/bin", ProcessLeakGuard.MARK_VAR,
        ProcessLeakGuard.mark()), Optional.of(log), false));
    launched.add(p);
    assertThat(p.onExitStatus().get(10, TimeUnit.SECONDS)).isEqualTo(ExitStatus.exited(0));
    assertThat(Files.readAllLines(log)).containsExactly("plain one");
  }

  @ParameterizedTest
  @EnumSource(value = Spawn.class, names = {"JDK", "FFM"})
  void anArgumentWithANulByteIsAStartFailure(Spawn spawn) {
    SystemProcessLauncher l = launcher(spawn);
    ChildSpec withNul = ChildSpec.builder("nul").argv("sh", "-c", "echo a\0b").build();
    assertThatThrownBy(() -> l.launch(new LaunchRequest(withNul, 1, Map.of("PATH", "/usr/bin:/bin"), Optional.empty(), true)))
        .isInstanceOf(IOException.class).hasMessageContaining("cannot start");
  }
}
