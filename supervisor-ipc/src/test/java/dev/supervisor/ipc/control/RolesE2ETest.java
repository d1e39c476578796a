package dev.supervisor.ipc.control;

import static dev.supervisor.testsupport.TestChildren.sleeps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.supervisor.ChildState;
import dev.supervisor.Supervisor;
import dev.supervisor.ipc.Uids;
import dev.supervisor.testsupport.Pids;
import dev.supervisor.testsupport.ProcessLeakGuard;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Roles granted per uid, through a real client of another uid: a Java program run as uid 65534
 * ({@code setpriv}; tests run as root) talks to the control socket, opened to all by its
 * directory and file modes so that only the server's own checks decide. VIEWER reads the status
 * but may not stop; OPERATOR stops (the real process goes) but may not shut down; no role may
 * not connect. Each refusal names the role needed and the one held.
 */
@ExtendWith(ProcessLeakGuard.class)
class RolesE2ETest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path SETPRIV = Path.of("/usr/bin/setpriv");
  private static final long NOBODY = 65534;
  /** Prints its pid, then sends each argument as a request line and prints the reply line. */
  private static final String CLIENT = String.join("\n",
      "import java.io.*;",
      "import java.net.UnixDomainSocketAddress;",
      "import java.nio.channels.*;",
      "import java.nio.charset.StandardCharsets;",
      "public class Client {",
      "  public static void main(String[] a) throws Exception {",
      "    System.out.println(\"pid \" + ProcessHandle.current().pid());",
      "    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(a[0]))) {",
      "      BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));",
      "      OutputStream out = Channels.newOutputStream(ch);",
      "      for (int i = 1; i < a.length; i++) {",
      "        out.write((a[i] + \"\\n\").getBytes(StandardCharsets.UTF_8));",
      "        out.flush();",
      "        String line = in.readLine();",
      "        System.out.println(line == null ? \"closed\" : line);",
      "        if (line == null) break;",
      "      }",
      "    } catch (IOException e) {",
      "      System.out.println(\"failed: \" + e.getMessage());",
      "    }",
      "  }",
      "}",
      "");

  @TempDir Path dir;
  private Supervisor sup;
  private ControlServer server;
  private Path socket;
  private Path client;

  @BeforeEach
  void start() throws Exception {
    assumeTrue(Files.isExecutable(SETPRIV), "needs setpriv");
    assumeTrue(Uids.current() == 0, "switching to another uid needs root (CI runs as root)");
    sup = Supervisor.builder(dir.resolve("home")).shutdownHook(false).child(sleeps("quiet").build()).build();
    sup.startAsync().awaitHealthy(WAIT);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path open = Files.createDirectory(dir.resolve("open"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
    socket = open.resolve("control.sock");
    client = Files.writeString(dir.resolve("Client.java"), CLIENT);
    Files.setPosixFilePermissions(client, PosixFilePermissions.fromString("rw-r--r--"));
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    if (sup != null) {
      sup.close();
    }
  }

  private void serve(Roles roles) throws Exception {
    server = ControlServer.serve(sup, socket, roles);
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-")); // only the server's checks are left
  }

  /** The client's output as uid 65534: its pid, then one line per request. */
  private List<String> asNobody(String... requests) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(SETPRIV.toString(), "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "--",
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:-UsePerfData", "-Xshare:auto", client.toString(),
        socket.toString()));
    cmd.addAll(List.of(requests));
    ProcessBuilder pb = dev.supervisor.testsupport.TestProcesses.builder(cmd).redirectErrorStream(true).directory(dir.toFile());
    pb.environment().put(ProcessLeakGuard.MARK_VAR, ProcessLeakGuard.mark());
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    Process p = pb.start();
    assertThat(p.waitFor(40, TimeUnit.SECONDS)).as("client finished").isTrue();
    List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).as("client output").isNotEmpty().first().asString().startsWith("pid ");
    return lines;
  }

  private static String pidOf(List<String> lines) {
    return lines.get(0).substring("pid ".length());
  }

  private long quietPid() {
    return sup.status().child("quiet").orElseThrow().pid().orElse(-1);
  }

  @Test
  void aViewerReadsTheStatusButItsStopIsRefusedNamingTheRole() throws Exception {
    serve(Roles.builder().grant(NOBODY, Role.VIEWER).build());
    long pid = quietPid();
    List<String> out = asNobody("{\"type\":\"status\",\"id\":1}", "{\"type\":\"stop\",\"id\":2,\"name\":\"quiet\"}",
        "{\"type\":\"restart\",\"id\":3,\"name\":\"quiet\"}");
    assertThat(out).hasSize(4);
    JsonNode status = JSON.readTree(out.get(1));
    assertThat(status.path("type").asText()).isEqualTo("result");
    assertThat(status.path("children").get(0).path("name").asText()).isEqualTo("quiet");
    assertThat(status.path("children").get(0).path("pid").asLong()).isEqualTo(pid);
    String who = "uid 65534 pid " + pidOf(out);
    assertThat(out.get(2)).isEqualTo("{\"type\":\"error\",\"id\":2,\"code\":\"FORBIDDEN\",\"message\":\"stop needs role OPERATOR; "
        + who + " has VIEWER\"}");
    assertThat(out.get(3)).isEqualTo("{\"type\":\"error\",\"id\":3,\"code\":\"FORBIDDEN\",\"message\":\"restart needs role OPERATOR; "
        + who + " has VIEWER\"}");
    assertThat(quietPid()).as("the child was neither stopped nor restarted").isEqualTo(pid);
    assertThat(Pids.alive(pid)).isTrue();
    assertThat(sup.status().child("quiet").orElseThrow().state()).isEqualTo(ChildState.RUNNING);
  }

  @Test
  void anOperatorStopsTheRealProcessButMayNotShutDown() throws Exception {
    serve(Roles.builder().grant(NOBODY, Role.OPERATOR).build());
    long pid = quietPid();
    List<String> out = asNobody("{\"type\":\"stop\",\"id\":1,\"name\":\"quiet\"}", "{\"type\":\"shutdown\",\"id\":2}");
    assertThat(out).hasSize(3);
    assertThat(JSON.readTree(out.get(1)).path("type").asText()).as(out.get(1)).isEqualTo("result");
    assertThat(out.get(2)).isEqualTo("{\"type\":\"error\",\"id\":2,\"code\":\"FORBIDDEN\",\"message\":\"shutdown needs role ADMIN; "
        + "uid 65534 pid " + pidOf(out) + " has OPERATOR\"}");
    await().atMost(WAIT).until(() -> !Pids.alive(pid) && sup.status().child("quiet").orElseThrow().state() == ChildState.STOPPED);
    assertThat(sup.state()).as("not shut down").isEqualTo(dev.supervisor.SupervisorState.RUNNING);
  }

  @Test
  void aUidWithoutARoleCannotEvenReadTheStatus() throws Exception {
    serve(Roles.builder().grant(1000, Role.ADMIN).build()); // a role for someone else, none for 65534
    long pid = quietPid();
    List<String> out = asNobody("{\"type\":\"status\",\"id\":1}");
    assertThat(out).hasSize(2);
    assertThat(out.get(1)).isEqualTo("{\"type\":\"error\",\"id\":1,\"code\":\"FORBIDDEN\",\"message\":\"uid 65534 pid " + pidOf(out)
        + " may not connect to control.sock (uids with a role in roles(uid 0 ADMIN, uid 1000 ADMIN))\"}");
    assertThat(quietPid()).isEqualTo(pid);
  }
}
