package dev.supervisor.ipc.notify;

import static dev.supervisor.testsupport.TestChildren.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.ChildStatus;
import dev.supervisor.NotifySocketFactory;
import dev.supervisor.Supervisor;
import dev.supervisor.testsupport.ProcessLeakGuard;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Children speaking systemd's notify protocol: the real {@code systemd-notify} binary, and a Java child. */
@ExtendWith(ProcessLeakGuard.class)
class ChildNotifyTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  @TempDir Path home;
  private final List<Supervisor> sups = new ArrayList<>();
  private final NotifySocketFactory sockets = ChildNotifySockets.create();

  private Supervisor start(ChildSpec... children) {
    Supervisor.Builder b = Supervisor.builder(home).shutdownHook(false).notifySockets(sockets);
    for (ChildSpec c : children) {
      b.child(c);
    }
    Supervisor s = b.build();
    sups.add(s);
    s.startAsync();
    return s;
  }

  @AfterEach
  void close() {
    sups.forEach(Supervisor::close);
  }

  private static ChildStatus child(Supervisor s, String name) {
    return s.status().child(name).orElseThrow();
  }

  @Test
  void systemdNotifyMakesAChildReadyAndItsDependentWaitsForIt() throws Exception {
    Path go = home.resolve("go");
    Supervisor s = start(
        sh("db", "systemd-notify --status='warming up'; while [ ! -e " + go + " ]; do sleep 0.05; done;"
            + " systemd-notify --ready --status='serving'; exec sleep 1000").readinessNotify(Duration.ofSeconds(20)).build(),
        sh("app", "exec sleep 1000").dependsOn("db").build());
    await().atMost(WAIT).until(() -> child(s, "db").statusText().orElse("").equals("warming up"));
    assertThat(child(s, "db").state()).isEqualTo(ChildState.RUNNING);
    assertThat(child(s, "app").state()).as("waits for db's READY=1").isEqualTo(ChildState.STARTING);
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("run/notify/db.sock"))))
        .isEqualTo("rw-------");
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("run"))))
        .isEqualTo("rwx------");
    Files.createFile(go);
    await().atMost(WAIT).until(() -> child(s, "db").state() == ChildState.READY && child(s, "app").state() == ChildState.RUNNING);
    assertThat(child(s, "db").statusText()).hasValue("serving");
    s.awaitHealthy(WAIT);
  }

  @Test
  void aJavaChildThatStopsPingingItsWatchdogIsKilledAsHungAndRestarted() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Supervisor s = start(ChildSpec.builder("worker")
        .argv(java, "-Xmx32m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
            NotifyingChildMain.class.getName(), "5")
        .env(ProcessLeakGuard.MARK_VAR, ProcessLeakGuard.mark())
        .readinessNotify(Duration.ofSeconds(20)).watchdog(Duration.ofMillis(400)).stopGrace(Duration.ofSeconds(2)).build());
    await().atMost(WAIT).until(() -> child(s, "worker").state() == ChildState.READY);
    assertThat(child(s, "worker").statusText()).hasValue("serving from java");
    long first = child(s, "worker").pid().orElseThrow();
    // it pings for 0.5 s, then hangs: the watchdog kills it and the policy restarts it
    await().atMost(WAIT).until(() -> child(s, "worker").restarts() == 1);
    ChildStatus c = child(s, "worker");
    assertThat(c.lastExit().orElseThrow().reason()).hasValue("watchdog: no WATCHDOG=1 within 400ms (hung)");
    await().atMost(WAIT).until(() -> child(s, "worker").state() == ChildState.READY);
    assertThat(child(s, "worker").pid().orElseThrow()).isNotEqualTo(first);
    assertThat(s.incidents("worker")).first().satisfies(i -> assertThat(i.exit().reason()).hasValue(c.lastExit().get().reason().get()));
  }

  @Test
  void aDeletedRunDirectoryIsMadeAgainAndTheNextRunReachesItsNotifySocket() throws Exception {
    Supervisor s = start(sh("db", "systemd-notify --ready; exec sleep 1000").readinessNotify(Duration.ofSeconds(20)).build());
    await().atMost(WAIT).until(() -> child(s, "db").state() == ChildState.READY);
    Path run = home.resolve("run");
    try (java.util.stream.Stream<Path> all = Files.walk(run)) {
      for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
    long pid = child(s, "db").pid().orElseThrow();
    dev.supervisor.testsupport.Pids.kill9(pid);

    await().atMost(WAIT).until(() -> child(s, "db").state() == ChildState.READY && child(s, "db").pid().orElse(pid) != pid);
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(run))).isEqualTo("rwx------");
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(run.resolve("notify"))))
        .isEqualTo("rwx------");
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(run.resolve("notify/db.sock"))))
        .isEqualTo("rw-------");
  }

  @Test
  void noReadyWithinTheTimeoutIsAFailure() throws Exception {
    Supervisor s = start(sh("mute", "exec sleep 1000").readinessNotify(Duration.ofMillis(300)).build());
    await().atMost(WAIT).until(() -> child(s, "mute").restarts() >= 1);
    assertThat(child(s, "mute").lastExit().orElseThrow().reason()).hasValue("no READY=1 on its notify socket within 300ms");
  }

  @Test
  void reloadingAndStoppingTakeAwayReadinessUntilReadyAgain() throws Exception {
    Path step = home.resolve("step");
    Path stop = home.resolve("stop");
    Supervisor s = start(sh("svc", "systemd-notify --ready; while [ ! -e " + step + " ]; do sleep 0.05; done;"
        + " systemd-notify --reloading 2>/dev/null || systemd-notify RELOADING=1; sleep 0.5; systemd-notify --ready;"
        + " while [ ! -e " + stop + " ]; do sleep 0.05; done; systemd-notify STOPPING=1; exec sleep 1000")
        .readinessNotify(Duration.ofSeconds(20)).build());
    await().atMost(WAIT).until(() -> child(s, "svc").state() == ChildState.READY);
    Files.createFile(step);
    await().atMost(WAIT).until(() -> child(s, "svc").state() == ChildState.RUNNING);
    assertThat(child(s, "svc").reason()).hasValue("reloading (RELOADING=1)");
    await().atMost(WAIT).until(() -> child(s, "svc").state() == ChildState.READY);
    long run = child(s, "svc").runId();
    Files.createFile(stop); // the child announces it is stopping on its own
    await().atMost(WAIT).until(() -> child(s, "svc").state() == ChildState.RUNNING);
    assertThat(child(s, "svc").reason()).hasValue("stopping on its own (STOPPING=1)");
    assertThat(child(s, "svc").runId()).as("still the same run: STOPPING=1 only takes readiness away").isEqualTo(run);
  }

  /** The reason the FFM notify sockets cannot be had on this JDK, or empty when they load and know senders. */
  private static java.util.Optional<String> whyNoFfmSenderCheck() {
    try {
      Object f = Class.forName("dev.supervisor.ipc.notify.FfmNotifySockets").getMethod("create").invoke(null);
      if (f == null) {
        return java.util.Optional.of("FfmNotifySockets.create() returned null");
      }
      return ((NotifySocketFactory) f).knowsSenders() ? java.util.Optional.empty() : java.util.Optional.of(f + " does not know senders");
    } catch (java.lang.reflect.InvocationTargetException e) {
      return java.util.Optional.of("FfmNotifySockets.create() threw " + e.getCause());
    } catch (ReflectiveOperationException | LinkageError e) {
      return java.util.Optional.of("FfmNotifySockets cannot be loaded: " + e);
    }
  }

  /** On JDK 22+ the kernel's sender check (FFM, SO_PASSCRED) must be what create() gives; never a silent fallback. */
  @Test
  void theSenderCheckIsActiveOnJdk22AndLaterAndAbsentBefore() {
    int jdk = Runtime.version().feature();
    if (jdk >= 22) {
      assertThat(whyNoFfmSenderCheck()).as("JDK %d: the FFM notify sockets must load and check senders", jdk).isEmpty();
      assertThat(sockets.knowsSenders()).as("JDK %d: ChildNotifySockets.create() gave %s, without the sender check", jdk, sockets).isTrue();
    } else {
      assertThat(sockets.knowsSenders()).as("JDK %d has no FFM: attributed by socket only", jdk).isFalse();
      assertThat(sockets.toString()).isEqualTo("ChildNotifySockets[junixsocket, attributed by socket]");
    }
  }

  @Test
  void oneChildCannotMarkAnotherReady() throws Exception {
    int jdk = Runtime.version().feature();
    Assumptions.assumeTrue(jdk >= 22, "JDK " + jdk + ": checking a datagram's sender needs JDK 22+ (FFM recvmsg with SO_PASSCRED);"
        + " on this JDK messages are attributed by the socket they arrive on (" + sockets + ")");
    assertThat(sockets.knowsSenders()).as("JDK %d must check senders: %s; %s", jdk, sockets, whyNoFfmSenderCheck().orElse("")).isTrue();
    Path victim = home.resolve("run/notify/victim.sock");
    Supervisor s = start(
        sh("victim", "exec sleep 1000").readinessNotify(Duration.ofSeconds(30)).build(),
        sh("forger", "for i in 1 2 3 4 5; do NOTIFY_SOCKET=" + victim + " systemd-notify --ready; sleep 0.1; done;"
            + " touch " + home.resolve("forged") + "; exec sleep 1000").build());
    await().atMost(WAIT).until(() -> Files.exists(home.resolve("forged")));
    // the forged datagrams are in; any effect would show within 300 ms
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> child(s, "victim").state() == ChildState.RUNNING);
  }

  @Test
  void aNotifyChildWithoutASocketFactoryIsAClearError() {
    assertThatThrownBy(() -> Supervisor.builder(home).child(sh("x", "true").watchdog(Duration.ofSeconds(1)).build()).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("child 'x' uses the notify protocol (readinessNotify, watchdog or notifySocket) but the supervisor has no"
            + " notify socket factory: add .notifySockets(dev.supervisor.ipc.notify.ChildNotifySockets.create()) from supervisor-ipc");
  }
}
