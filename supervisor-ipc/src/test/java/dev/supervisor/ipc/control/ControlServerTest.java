package dev.supervisor.ipc.control;

import static dev.supervisor.testsupport.TestChildren.sh;
import static dev.supervisor.testsupport.TestChildren.sleeps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ChildState;
import dev.supervisor.Supervisor;
import dev.supervisor.SupervisorState;
import dev.supervisor.SupervisorStatus;
import dev.supervisor.ipc.ErrorCode;
import dev.supervisor.ipc.RpcException;
import dev.supervisor.ipc.Uids;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.TestProcesses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(ProcessLeakGuard.class)
class ControlServerTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  @TempDir Path home;
  private Supervisor sup;
  private ControlServer server;
  private ControlClient client;

  @BeforeEach
  void start() throws Exception {
    sup = Supervisor.builder(home).shutdownHook(false)
        .child(sh("talker", "for i in 1 2 3 4 5; do echo line-$i; done; exec sleep 1000").build())
        .child(sleeps("quiet").env("API_TOKEN", "s3cret").env("db_password", "hunter2").env("PLAIN", "visible").build())
        .build();
    sup.startAsync().awaitHealthy(WAIT);
    server = ControlServer.serve(sup, ControlServer.socketOf(home), Roles.ownerOnly());
    client = ControlClient.of(ControlServer.socketOf(home));
  }

  @AfterEach
  void stop() {
    server.close();
    sup.close();
  }

  private long pid(String name) throws Exception {
    return client.status().child(name).orElseThrow().pid().orElse(-1);
  }

  @Test
  void pingListAndStatus() throws Exception {
    assertThat(client.ping().pid()).isEqualTo(ProcessHandle.current().pid());
    assertThat(client.list()).containsExactly("talker", "quiet");
    SupervisorStatus remote = client.status();
    SupervisorStatus local = sup.status();
    assertThat(remote.state()).isEqualTo(SupervisorState.RUNNING);
    assertThat(remote.children()).extracting(c -> c.name() + " " + c.state() + " " + c.pid())
        .isEqualTo(local.children().stream().map(c -> c.name() + " " + c.state() + " " + c.pid()).toList());
    assertThat(client.statusJson().path("supervisor").path("home").asText()).isEqualTo(home.toString());
    assertThat(client.statusJson().path("supervisor").path("processLayer").asText()).isEqualTo(sup.processLayer()).isNotEmpty();
    assertThat(client.statusJson().path("supervisor").path("jdk").asInt()).isEqualTo(Runtime.version().feature());
    assertThat(client.statusJson().path("children").get(0).fieldNames()).toIterable()
        .contains("name", "state", "pid", "uptimeMs", "restarts", "lastExit", "cpuMs", "rssBytes", "processes");
    assertThat(remote.child("quiet").orElseThrow().processes()).as("its process count, over the wire").hasValue(1);
  }

  @Test
  void logsReturnsTheLastLines() throws Exception {
    await().atMost(WAIT).until(() -> client.logs("talker", 100).size() == 5);
    assertThat(client.logs("talker", 2)).containsExactly("line-4", "line-5");
  }

  @Test
  void operatorCallsControlChildren() throws Exception {
    long before = pid("quiet");
    client.restart("quiet");
    await().atMost(WAIT).until(() -> pid("quiet") != before && pid("quiet") != -1);
    client.stop("quiet");
    await().atMost(WAIT).until(() -> client.status().child("quiet").orElseThrow().state() == ChildState.STOPPED);
    client.start("all");
    await().atMost(WAIT).until(() -> client.status().child("quiet").orElseThrow().state() == ChildState.RUNNING);
  }

  @Test
  void explainSimulatesTheChildsPolicy() throws Exception {
    // the test children restart after a fixed 20 ms, forever
    var x = client.explain("quiet", Duration.ofSeconds(2), 3);
    assertThat(x.path("policy").asText()).isEqualTo("onFailure(fixed(20ms), resetAfter 60s, restartForever)");
    assertThat(x.path("fatalAtCrash").isNull()).isTrue();
    assertThat(x.path("steps")).extracting(st -> st.path("crash").asInt() + "@" + st.path("atMs").asLong() + " "
        + st.path("action").asText() + " " + st.path("delayMs").asLong())
        .containsExactly("1@2000 RESTART 20", "2@4020 RESTART 20", "3@6040 RESTART 20");
    assertThat(x.path("text").asText()).endsWith("it would not give up within 3 crashes");
    assertThat(client.status().child("quiet").orElseThrow().policy()).isEqualTo(x.path("policy").asText());
    assertThatThrownBy(() -> client.explain("quiet", Duration.ZERO, 0)).isInstanceOf(RpcException.class)
        .hasMessage("explain needs uptimeMs >= 0 and crashes in 1..256, got 0 and 0");
  }

  @Test
  void inspectShowsTheEffectiveSpecWithSecretsMaskedTheRunsAndTheDependencies() throws Exception {
    long pid = pid("quiet");
    dev.supervisor.testsupport.Pids.kill9(pid);
    await().atMost(WAIT).until(() -> pid("quiet") != pid && pid("quiet") != -1);
    var x = client.inspect("quiet");
    assertThat(x.path("command").get(0).asText()).isEqualTo("sh");
    assertThat(x.path("env").path("API_TOKEN").asText()).isEqualTo("****");
    assertThat(x.path("env").path("db_password").asText()).isEqualTo("****");
    assertThat(x.path("env").path("PLAIN").asText()).isEqualTo("visible");
    assertThat(x.path("policy").asText()).isEqualTo("onFailure(fixed(20ms), resetAfter 60s, restartForever)");
    assertThat(x.path("readiness").asText()).isEqualTo("none");
    assertThat(x.path("dependents")).isEmpty();
    assertThat(x.toString()).doesNotContain("s3cret", "hunter2");
    assertThat(x.path("runs")).hasSize(1);
    assertThat(x.path("runs").get(0).path("exit").asText()).isEqualTo("signal KILL");
    assertThat(x.path("runs").get(0).path("runId").asLong()).isEqualTo(1);
    assertThat(x.path("state").asText()).isEqualTo("RUNNING");
    assertThat(x.path("restarts").asInt()).isEqualTo(1);
  }

  @Test
  void unknownChildrenAndBadArgumentsAreClearErrors() {
    assertThatThrownBy(() -> client.restart("ghost")).isInstanceOf(RpcException.class)
        .hasMessage("no child named 'ghost'; children: talker, quiet")
        .satisfies(e -> assertThat(((RpcException) e).code()).isEqualTo(ErrorCode.NOT_FOUND));
    assertThatThrownBy(() -> client.logs("talker", 0)).hasMessage("lines must be in 1..10000, got 0");
    assertThatThrownBy(() -> client.scale("quiet", 2)).isInstanceOf(RpcException.class)
        .hasMessage("'quiet' was not declared with instances(n); no child was")
        .satisfies(e -> assertThat(((RpcException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    assertThatThrownBy(() -> client.setWatching("quiet", true)).isInstanceOf(RpcException.class)
        .hasMessage("child 'quiet' watches no files: give its spec watch(paths...)");
    assertThatThrownBy(() -> client.reloadConfig()).isInstanceOf(RpcException.class)
        .hasMessage("this supervisor was started without a config file to reload");
  }

  @Test
  void aCallAboveTheCallersRoleIsRefusedNamingTheRole() throws Exception {
    server.close();
    server = ControlServer.serve(sup, ControlServer.socketOf(home), Roles.builder().ownerRole(Role.VIEWER).build());
    assertThat(client.list()).hasSize(2);
    assertThatThrownBy(() -> client.restart("quiet")).isInstanceOf(RpcException.class)
        .hasMessage("restart needs role OPERATOR; uid " + Uids.current() + " pid " + ProcessHandle.current().pid() + " has VIEWER");
    assertThatThrownBy(() -> client.shutdown(WAIT)).hasMessageStartingWith("shutdown needs role ADMIN");
  }

  @Test
  void reloadConfigRunsTheHostsReloader() throws Exception {
    server.close();
    server = ControlServer.serve(sup, ControlServer.socketOf(home), Roles.ownerOnly(), () -> "2 children, no changes");
    assertThat(client.reloadConfig()).isEqualTo("2 children, no changes");
  }

  @Test
  void reloadConfigAppliesTheDifferenceFromTheConfigSource() throws Exception {
    server.close();
    Path cfg = home.resolve("c.json");
    String quiet = "{\"name\": \"quiet\", \"command\": [\"sleep\", \"1000\"], \"env\": {\"" + ProcessLeakGuard.MARK_VAR + "\": \""
        + ProcessLeakGuard.mark() + "\"}}";
    Files.writeString(cfg, "{\"children\": [" + quiet + "]}");
    dev.supervisor.ChildSpec keptTalker = sup.children().get(0);
    server = ControlServer.serve(sup, ControlServer.socketOf(home), Roles.ownerOnly(),
        () -> {
          java.util.List<dev.supervisor.ChildSpec> read = new java.util.ArrayList<>(dev.supervisor.SupervisorConfig.load(cfg).children());
          read.add(0, keptTalker);
          return read;
        });
    long talker = pid("talker");
    var answer = client.reload(WAIT, 2);
    assertThat(answer.path("unchanged").toString()).isEqualTo("[\"talker\"]");
    assertThat(answer.path("restarted").toString()).isEqualTo("[\"quiet\"]"); // its env differs from the config's
    assertThat(pid("talker")).isEqualTo(talker);

    Files.writeString(cfg, "{\"children\": [{\"name\": \"quiet\", \"stopGrace\": \"10x\"}]}");
    long quietPid = pid("quiet");
    assertThatThrownBy(() -> client.reload(WAIT, 2)).isInstanceOf(RpcException.class)
        .satisfies(e -> assertThat(((RpcException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("c.json").hasMessageContaining("children[0]");
    assertThat(pid("quiet")).isEqualTo(quietPid);
    assertThat(client.list()).containsExactly("talker", "quiet");
  }

  @Test
  void shutdownStopsTheSupervisorAndTheSocketGoesAway() throws Exception {
    client.shutdown(WAIT);
    sup.awaitStopped(WAIT);
    assertThat(sup.state()).isEqualTo(SupervisorState.TERMINATED);
    assertThat(Files.exists(ControlServer.socketOf(home))).isFalse();
  }

  /**
   * Issue: a uid without a role was refused with the peer policy's lambda name
   * ({@code ControlServer$$Lambda$81/0x...}); it now reads the roles. The client is uid 65534
   * (setpriv) running the system python, on a socket opened to all so only the role check is left.
   */
  @Test
  void aUidWithoutARoleIsRefusedInWords() throws Exception {
    Path setpriv = Path.of("/usr/bin/setpriv");
    Path python = Path.of("/usr/bin/python3");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(setpriv) && Files.isExecutable(python), "needs setpriv and python3");
    org.junit.jupiter.api.Assumptions.assumeTrue(Uids.current() == 0, "switching to another uid needs root (CI runs as root)");
    Path open = Files.createDirectories(Path.of("/tmp", "ctl-" + ProcessHandle.current().pid() + "-" + System.nanoTime()));
    try {
      Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
      Path sock = open.resolve("control.sock");
      try (ControlServer other = ControlServer.serve(sup, sock, Roles.ownerOnly())) {
        Files.setPosixFilePermissions(sock, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        Process p = TestProcesses.builder(setpriv.toString(), "--reuid=65534", "--regid=65534", "--clear-groups", "--", python.toString(),
            "-c", "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\n"
                + "s.sendall(b'{\"type\":\"status\",\"id\":1}\\n')\nprint(s.makefile().readline().strip())", sock.toString())
            .redirectErrorStream(true).start();
        assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        String reply = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        assertThat(reply).matches("\\{\"type\":\"error\",\"id\":1,\"code\":\"FORBIDDEN\",\"message\":\"uid 65534 pid \\d+ may not"
            + " connect to control.sock \\(uids with a role in roles\\(uid " + Uids.current() + " ADMIN\\)\\)\"}");
        assertThat(other.toString()).isEqualTo("ControlServer[" + sock + ", roles(uid " + Uids.current() + " ADMIN)]");
      }
    } finally {
      try (var s = Files.list(open)) {
        for (Path f : s.toList()) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(open);
    }
  }
}
