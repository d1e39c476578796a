package dev.supervisor.examples.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.supervisor.examples.tools.CommandPath;
import dev.supervisor.examples.tools.Intent;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.TestProcesses;
import dev.supervisor.testsupport.UnmarkedChildren;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executor's confinement: nothing outside its root, through {@code ..} or links; commands
 * never through a shell, and never found through the {@code PATH} of whoever started the JVM.
 */
@ExtendWith(ProcessLeakGuard.class)
@UnmarkedChildren("the executor runs commands with a cleared environment (only the policy's PATH and LANG), which this test"
    + " asserts; they are this JVM's children, so the guard tracks them and their groups all the same")
class ToolsTest {
  @TempDir Path dir;
  private Path root;
  private Tools tools;

  @BeforeEach
  void setUp() throws Exception {
    root = Files.createDirectory(dir.resolve("workspace"));
    Files.writeString(dir.resolve("secret.txt"), "outside");
    tools = new Tools(root, Duration.ofSeconds(5), CommandPath.parse(CommandPath.DEFAULT));
  }

  private Intent resolved(Intent i) {
    return i.resolvedAgainst(root);
  }

  @Test
  void dotDotCannotLeaveTheRoot() {
    assertThatThrownBy(() -> tools.run(resolved(Intent.read(Path.of("../secret.txt")))))
        .isInstanceOf(SecurityException.class)
        .hasMessageContaining("outside the allowed root");
    assertThatThrownBy(() -> tools.run(resolved(Intent.list(Path.of("..")))))
        .isInstanceOf(SecurityException.class);
    assertThatThrownBy(() -> tools.run(resolved(Intent.write(Path.of("../evil.txt"), "x"))))
        .isInstanceOf(SecurityException.class);
    assertThat(dir.resolve("evil.txt")).doesNotExist();
  }

  @Test
  void symlinksCannotLeaveTheRoot() throws Exception {
    Files.createSymbolicLink(root.resolve("link-to-secret"), dir.resolve("secret.txt"));
    Files.createSymbolicLink(root.resolve("link-to-parent"), dir);
    assertThatThrownBy(() -> tools.run(resolved(Intent.read(Path.of("link-to-secret")))))
        .isInstanceOf(SecurityException.class)
        .hasMessage(root.resolve("link-to-secret") + " resolves to " + dir.resolve("secret.txt").toRealPath()
            + ", outside the allowed root " + root.toRealPath());
    assertThatThrownBy(() -> tools.run(resolved(Intent.read(Path.of("link-to-parent/secret.txt")))))
        .isInstanceOf(SecurityException.class);
    assertThatThrownBy(() -> tools.run(resolved(Intent.write(Path.of("link-to-parent/evil.txt"), "x"))))
        .isInstanceOf(SecurityException.class);
    assertThatThrownBy(() -> tools.run(resolved(Intent.write(Path.of("link-to-secret"), "overwritten"))))
        .isInstanceOf(SecurityException.class)
        .hasMessage(root.resolve("link-to-secret") + " is a symbolic link; writing through links is refused");
    assertThat(Files.readString(dir.resolve("secret.txt"))).isEqualTo("outside");
  }

  @Test
  void writesAreAtomicAndReadsComeBack() throws Exception {
    assertThat(tools.run(resolved(Intent.write(Path.of("a.txt"), "one"))).path("bytes").asInt()).isEqualTo(3);
    assertThat(tools.run(resolved(Intent.write(Path.of("a.txt"), "two"))).path("ok").asBoolean()).isTrue();
    assertThat(tools.run(resolved(Intent.read(Path.of("a.txt")))).path("content").asText()).isEqualTo("two");
    try (var files = Files.list(root)) {
      assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("a.txt"); // no temp file left
    }
  }

  @Test
  void shellMetacharactersAreArgumentsNotShell() throws Exception {
    var r = tools.run(resolved(Intent.exec(List.of("echo", "$(touch pwned)", ";", "rm", "-rf", "/", "&&", "`id`"))));
    assertThat(r.path("output").asText()).isEqualTo("$(touch pwned) ; rm -rf / && `id`\n");
    assertThat(root.resolve("pwned")).doesNotExist();
  }

  @Test
  void aCommandIsCutOffAtItsTimeoutAndItsOutputCapped() throws Exception {
    Tools quick = new Tools(root, Duration.ofMillis(300), CommandPath.parse(CommandPath.DEFAULT));
    var slow = quick.run(resolved(Intent.exec(List.of("sleep", "30"))));
    assertThat(slow.path("timedOut").asBoolean()).isTrue();
    var flood = tools.run(resolved(Intent.exec(List.of("head", "-c", "1000000", "/dev/zero"))));
    assertThat(flood.path("truncated").asBoolean()).isTrue();
    assertThat(flood.path("output").asText().length()).isLessThanOrEqualTo(Tools.MAX_BYTES);
    assertThat(flood.path("exitCode").asInt()).isZero();
  }

  /** Issue: a file named {@code true} first on the daemon's PATH ran instead of /usr/bin/true. */
  @Test
  void aCommandOnTheJvmsOwnPathIsNeverRunInsteadOfThePolicysOne() throws Exception {
    Path evil = Files.createDirectory(dir.resolve("evil"));
    Path marker = dir.resolve("hijacked");
    for (String name : List.of("true", "echo")) {
      Path fake = evil.resolve(name);
      Files.writeString(fake, "#!/bin/sh\necho hijacked\ntouch " + marker + "\n");
      Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    ProcessBuilder pb = TestProcesses.builder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), RunsTrueAndEcho.class.getName(), root.toString()).redirectErrorStream(true);
    pb.environment().put("PATH", evil + ":" + System.getenv("PATH"));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).isEqualTo("true: {\"ok\":true,\"exitCode\":0,\"timedOut\":false,\"output\":\"\",\"truncated\":false}\n"
        + "printenv: PATH=/usr/local/bin:/usr/bin:/bin\n");
    assertThat(marker).doesNotExist();
  }

  /** In a JVM whose PATH starts with a directory of fakes: runs {@code true}, then {@code printenv PATH}: what a command sees. */
  static final class RunsTrueAndEcho {
    public static void main(String[] args) throws Exception {
      Tools t = new Tools(Path.of(args[0]), Duration.ofSeconds(10), CommandPath.parse(CommandPath.DEFAULT));
      System.out.println("true: " + t.run(Intent.exec(List.of("true"))));
      Path printenv = CommandPath.parse(CommandPath.DEFAULT).resolve("printenv").orElseThrow();
      System.out.print("printenv: PATH=" + t.exec(printenv, List.of("printenv", "PATH")).path("output").asText());
    }
  }

  @Test
  void execRunsOnlyAnAbsoluteExecutableWithAFixedEnvironment() throws Exception {
    assertThatThrownBy(() -> tools.exec(Path.of("true"), List.of("true"))).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("executable must be an absolute path, not true");
    Path env = CommandPath.parse(CommandPath.DEFAULT).resolve("env").orElseThrow();
    assertThat(tools.exec(env, List.of("env")).path("output").asText().lines().sorted().toList())
        .containsExactly("LANG=C.UTF-8", "PATH=/usr/local/bin:/usr/bin:/bin");
    assertThatThrownBy(() -> tools.run(resolved(Intent.exec(List.of("no-such-command-here")))))
        .hasMessage("no-such-command-here is not in the search path /usr/local/bin:/usr/bin:/bin");
  }
}
