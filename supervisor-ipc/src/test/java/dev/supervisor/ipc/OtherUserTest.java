package dev.supervisor.ipc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.TestProcesses;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client running as another user (uid 65534 through {@code setpriv}: tests run as root, whom
 * permission bits do not stop). The client is the system python, since the test's class path
 * lives under root's home, which that user cannot read.
 */
@ExtendWith(ProcessLeakGuard.class)
class OtherUserTest {
  private static final Path SETPRIV = Path.of("/usr/bin/setpriv");
  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final String CLIENT = String.join("\n",
      "import os, socket, sys",
      "s = socket.socket(socket.AF_UNIX)",
      "s.settimeout(10)",
      "try:",
      "    s.connect(sys.argv[1])",
      "except OSError as e:",
      "    print('connect failed: ' + e.strerror); sys.exit(0)",
      "print('pid %d' % os.getpid())",
      "s.sendall(b'{\"type\":\"ping\",\"id\":1}\\n')",
      "for line in s.makefile():",  // every line until the server closes the connection
      "    print(line.strip())");

  @TempDir Path dir;
  private JsonLineServer server;

  @AfterEach
  void close() {
    if (server != null) {
      server.close();
    }
  }

  private String asNobody(Path socket) throws Exception {
    assumeTrue(Files.isExecutable(SETPRIV) && Files.isExecutable(PYTHON), "needs setpriv and /usr/bin/python3");
    assumeTrue(Uids.current() == 0, "switching to another uid needs root (CI runs as root)");
    Process p = TestProcesses.builder(SETPRIV.toString(), "--reuid=65534", "--regid=65534", "--clear-groups", "--",
        PYTHON.toString(), "-c", CLIENT, socket.toString()).redirectErrorStream(true).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
  }

  @Test
  void theSocketDirectoryKeepsOtherUsersOut() throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x")); // only our 0700 run dir protects
    Path sock = dir.resolve("run/private.sock");
    server = JsonLineServer.builder(sock).build().start();
    assertThat(asNobody(sock)).isEqualTo("connect failed: Permission denied");
  }

  @Test
  void aPeerOfAnotherUidIsRefusedByItsCredentials() throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path run = Files.createDirectory(dir.resolve("open"));
    Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path sock = run.resolve("open.sock");
    server = JsonLineServer.builder(sock).build().start(); // default PeerPolicy.sameUser()
    Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-rw-rw-")); // only the credential check is left
    List<String> lines = asNobody(sock).lines().toList();
    assertThat(lines).hasSize(2).first().asString().startsWith("pid ");
    String pid = lines.get(0).substring("pid ".length()); // the client's own pid, which the kernel reports as the peer's
    assertThat(lines.get(1)).as("the only reply before the server closes the connection")
        .isEqualTo("{\"type\":\"error\",\"id\":1,\"code\":\"FORBIDDEN\",\"message\":\"uid 65534 pid " + pid
            + " may not connect to open.sock (sameUser(uid " + Uids.current() + "))\"}");
  }
}
