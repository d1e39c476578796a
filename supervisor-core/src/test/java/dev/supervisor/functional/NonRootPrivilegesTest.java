package dev.supervisor.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.supervisor.testsupport.ConfigCheckMain;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.TestProcesses;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A supervisor that is not root cannot switch users: a config asking for it is refused at load,
 * naming the file and the field. Run as uid 65534 through {@code setpriv} (CI runs as root), from
 * a copy of the class path that user can read.
 */
@ExtendWith(ProcessLeakGuard.class)
class NonRootPrivilegesTest {
  @TempDir Path dir;

  @Test
  void aConfigThatSwitchesUsersIsRefusedByANonRootSupervisorNamingTheField() throws Exception {
    assumeTrue(ProcessHandle.current().info().user().orElse("").equals("root") && Files.isExecutable(Path.of("/usr/bin/setpriv")),
        "runs the check as uid 65534 through setpriv, which needs root (CI runs as root)");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    List<String> cp = new ArrayList<>();
    int i = 0;
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path src = Path.of(e);
      Path copy = dir.resolve("cp" + i++);
      if (Files.isDirectory(src)) {
        try (Stream<Path> all = Files.walk(src)) {
          for (Path p : (Iterable<Path>) all::iterator) {
            Path to = copy.resolve(src.relativize(p).toString());
            if (Files.isDirectory(p)) {
              Files.createDirectories(to);
            } else {
              Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
            }
          }
        }
      } else if (Files.isRegularFile(src)) {
        copy = dir.resolve("cp" + i + ".jar");
        Files.copy(src, copy);
      }
      cp.add(copy.toString());
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
      }
    }
    Path config = Files.writeString(dir.resolve("c.json"),
        "{\"children\": [{\"name\": \"w\", \"command\": [\"sleep\", \"1\"], \"user\": \"root\"}]}");
    Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
    Process p = TestProcesses.builder("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", String.join(File.pathSeparator, cp),
        ConfigCheckMain.class.getName(), config.toString()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(out.lines().filter(l -> !l.startsWith("WARNING")).toList()).as(out).contains(config + ": children[0].user: cannot be enforced"
        + " here: switching user or group needs root (CAP_SETUID and CAP_SETGID); the supervisor runs as uid 65534: run it as root"
        + " or leave \"user\" out (or set \"enforce\": \"best-effort\" to start without it)");
  }
}
