package dev.supervisor.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.supervisor.ChildState;
import dev.supervisor.Enforcement;
import dev.supervisor.Permissions;
import dev.supervisor.PrivilegeReport;
import dev.supervisor.Privileges;
import dev.supervisor.ResourceLimit;
import dev.supervisor.Supervisor;
import dev.supervisor.testsupport.TestChildren;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;

/**
 * Least privilege per child against real processes: what {@code /proc} shows for the child is
 * what its spec declared. CI runs as root, which these need to switch users; Landlock cases need
 * JDK 22+ (the FFM API) and run on CI's JDK 25 pass.
 */
class PrivilegesTest extends SupervisorFixture {
  private static final long NOBODY = 65534;

  private static void assumeRoot() {
    assumeTrue(ProcessHandle.current().info().user().orElse("").equals("root"), "switching users needs root (CI runs as root)");
  }

  private PrivilegeReport.Effective effective(Supervisor s, String name) {
    return await().atMost(WAIT).until(() -> child(s, name).privileges().flatMap(PrivilegeReport::effective)
        .filter(e -> e.uid() != 0 || child(s, name).privileges().get().declared().user().isEmpty())
        .filter(e -> !e.capabilities().isEmpty() || e.noNewPrivileges() || e.uid() != 0).orElse(null), e -> e != null);
  }

  @Test
  void aChildRunsAsTheDeclaredUserWithNoCapabilitiesAndNoNewPrivileges() throws Exception {
    assumeRoot();
    Supervisor s = start(TestChildren.sleeps("low")
        .privileges(Privileges.builder().user("nobody").noNewPrivileges().capabilities().build()).build());
    s.awaitHealthy(WAIT);
    long pid = pid(s, "low");
    await().atMost(WAIT).until(() -> Files.readString(Path.of("/proc/" + pid + "/status")).contains("NoNewPrivs:\t1"));
    String status = Files.readString(Path.of("/proc/" + pid + "/status"));
    assertThat(status).contains("Uid:\t65534\t65534\t65534\t65534").contains("Gid:\t65534\t65534\t65534\t65534")
        .contains("CapEff:\t0000000000000000").contains("CapBnd:\t0000000000000000").contains("CapAmb:\t0000000000000000");
    PrivilegeReport.Effective e = effective(s, "low");
    assertThat(e.uid()).isEqualTo(NOBODY);
    assertThat(e.capabilities()).isEmpty();
    assertThat(e.noNewPrivileges()).isTrue();
    assertThat(child(s, "low").privileges().get().notEnforced()).isEmpty();
  }

  @Test
  void aRootChildKeepsOnlyTheCapabilitiesItDeclares() throws Exception {
    assumeRoot();
    Supervisor s = start(TestChildren.sleeps("binder").privileges(Privileges.builder().capabilities("NET_BIND_SERVICE").build()).build());
    s.awaitHealthy(WAIT);
    long pid = pid(s, "binder");
    await().atMost(WAIT).until(() -> Files.readString(Path.of("/proc/" + pid + "/status")).contains("CapBnd:\t0000000000000400"));
    assertThat(Files.readString(Path.of("/proc/" + pid + "/status"))).contains("CapEff:\t0000000000000400");
    assertThat(effective(s, "binder").capabilities()).containsExactly("NET_BIND_SERVICE");
  }

  @Test
  void umaskAndLimitsAreSetBeforeTheCommandRuns() throws Exception {
    Path out = home.resolve("out");
    Supervisor s = start(TestChildren.sh("limited", "umask > " + out + ".tmp && mv " + out + ".tmp " + out + "; exec sleep 1000")
        .privileges(Privileges.builder().umask(0027).limit(ResourceLimit.NOFILE, 100).limit(ResourceLimit.CORE, 0)
            .limit(ResourceLimit.FSIZE, ResourceLimit.FSIZE.parse("1M")).limit(ResourceLimit.CPU, ResourceLimit.CPU.parse("1h")).build())
        .build());
    s.awaitHealthy(WAIT);
    await().atMost(WAIT).until(() -> Files.exists(out));
    assertThat(Files.readString(out).trim()).isEqualTo("0027");
    long pid = pid(s, "limited");
    await().atMost(WAIT).until(() -> Files.readString(Path.of("/proc/" + pid + "/cmdline")).startsWith("sleep"));
    String limits = Files.readString(Path.of("/proc/" + pid + "/limits"));
    assertThat(limits).containsPattern("Max open files\\s+100\\s+100").containsPattern("Max core file size\\s+0\\s+0")
        .containsPattern("Max file size\\s+1048576\\s+1048576").containsPattern("Max cpu time\\s+3600\\s+3600");
    assertThat(effective(s, "limited").limits()).containsEntry("nofile", "100").containsEntry("fsize", "1048576");
  }

  @Test
  void anUnknownUserIsRefusedWhenTheSupervisorIsBuilt() {
    assertThatThrownBy(() -> Supervisor.builder(home).child(TestChildren.sleeps("x")
        .privileges(Privileges.builder().user("no-such-user-here").build()).build()).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("child 'x': user: no such user 'no-such-user-here' (getent passwd no-such-user-here finds nothing); create it or fix the name");
  }

  /**
   * Permissions on every JDK: on 17-21 (no FFM, so no Landlock) a strict child is refused with the
   * reason and a best-effort one starts reporting what is not enforced; on 22+ both start, enforced.
   */
  @Test
  void permissionsAreEnforcedOnJdk22AndLaterAndOtherwiseRefuseTheChildUnlessBestEffort() throws Exception {
    Privileges strict = Privileges.builder().permissions(Permissions.builder().read(home).exec(Path.of("/usr/bin/sleep")).build()).build();
    Privileges bestEffort = strict.toBuilder().enforcement(Enforcement.BEST_EFFORT).build();
    if (Runtime.version().feature() < 22) {
      assertThatThrownBy(() -> Supervisor.builder(home).child(TestChildren.sleeps("x").privileges(strict).build()).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("child 'x' cannot be given its privileges here: permissions: Landlock needs the FFM API of JDK 22+");
      Supervisor s = start(TestChildren.sleeps("x").privileges(bestEffort).build());
      s.awaitHealthy(WAIT);
      assertThat(child(s, "x").privileges().get().notEnforced()).singleElement().asString()
          .startsWith("permissions: Landlock needs the FFM API of JDK 22+");
    } else {
      Supervisor s = start(TestChildren.sleeps("x").privileges(strict).build(), TestChildren.sleeps("y").privileges(bestEffort).build());
      s.awaitHealthy(WAIT);
      assertThat(child(s, "x").state()).isEqualTo(ChildState.RUNNING);
      assertThat(child(s, "x").privileges().get().notEnforced()).as("strict, enforced by Landlock").isEmpty();
      assertThat(child(s, "y").privileges().get().notEnforced()).as("best effort, and enforced all the same").isEmpty();
    }
  }

  @Test
  @EnabledForJreRange(min = JRE.JAVA_22, disabledReason = "Landlock is applied through the FFM API of JDK 22+")
  void landlockConfinesTheChildToItsDeclaredPaths() throws Exception {
    Path ws = Files.createDirectories(home.resolve("ws"));
    Path secret = Files.writeString(home.resolve("secret"), "the secret\n");
    String script = "echo ok > " + ws + "/a; cat " + secret + " > " + ws + "/b 2> " + ws + "/err; echo x > " + home + "/outside 2>/dev/null;"
        + " /usr/bin/id > " + ws + "/id 2> " + ws + "/iderr; echo done > " + ws + "/done; exec sleep 1000";
    Supervisor s = start(TestChildren.sh("boxed", script).privileges(Privileges.builder()
        .permissions(Permissions.builder().write(ws).exec(Path.of("/usr/bin/cat"), Path.of("/usr/bin/sleep")).build()).build()).build());
    s.awaitHealthy(WAIT);
    await().atMost(WAIT).until(() -> Files.exists(ws.resolve("done")));
    assertThat(Files.readString(ws.resolve("a")).trim()).isEqualTo("ok");
    assertThat(Files.readString(ws.resolve("b"))).isEmpty();
    assertThat(Files.readString(ws.resolve("err"))).contains("Permission denied");
    assertThat(home.resolve("outside")).doesNotExist();
    assertThat(Files.readString(ws.resolve("iderr"))).contains("Permission denied"); // not in exec
    assertThat(child(s, "boxed").state()).isEqualTo(ChildState.RUNNING);
    PrivilegeReport r = child(s, "boxed").privileges().orElseThrow();
    assertThat(r.notEnforced()).isEmpty();
    assertThat(r.grantedToRun()).containsEntry(Path.of("/dev/null"), "read,write").containsKey(Path.of("/proc"));
  }

  @Test
  @EnabledForJreRange(min = JRE.JAVA_22, disabledReason = "Landlock is applied through the FFM API of JDK 22+")
  void noNetworkDeniesTcpConnect() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Path ws = Files.createDirectories(home.resolve("ws"));
      String connect = "exec 3<>/dev/tcp/127.0.0.1/" + server.getLocalPort();
      String script = "if bash -c '" + connect + "' 2> " + ws + "/err; then echo connected; else echo refused; fi > " + ws + "/r.tmp; mv "
          + ws + "/r.tmp " + ws + "/r; exec sleep 1000";
      Supervisor s = start(TestChildren.sh("offline", script).privileges(Privileges.builder()
          .permissions(Permissions.builder().noNetwork().build()).build()).build(),
          TestChildren.sh("online", script.replace(ws + "/", ws + "/on-")).build());
      s.awaitHealthy(WAIT);
      await().atMost(WAIT).until(() -> Files.exists(ws.resolve("r")) && Files.exists(ws.resolve("on-r")));
      assertThat(Files.readString(ws.resolve("r")).trim()).isEqualTo("refused");
      assertThat(Files.readString(ws.resolve("on-r")).trim()).isEqualTo("connected");
    }
  }

  @Test
  void theConfiguredLauncherReportsWhatItCannotEnforce() throws IOException {
    dev.supervisor.testing.FakeProcessLauncher fake = new dev.supervisor.testing.FakeProcessLauncher();
    assertThat(fake.unenforced(TestChildren.sleeps("x").privileges(Privileges.builder().user("nobody").build()).build())).isEmpty();
    dev.supervisor.spi.ProcessLauncher custom = r -> fake.launch(r);
    assertThat(custom.unenforced(TestChildren.sleeps("x").privileges(Privileges.builder().noNewPrivileges().build()).build()))
        .singleElement().asString().startsWith("privileges: the process launcher");
    assertThat(custom.unenforced(TestChildren.sleeps("x").build())).isEqualTo(List.of());
  }
}
