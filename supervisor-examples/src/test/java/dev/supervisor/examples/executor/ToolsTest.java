package dev.supervisor.examples.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.supervisor.examples.tools.Intent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The executor's confinement: nothing outside its root, through {@code ..} or links; commands never through a shell. */
class ToolsTest {
  @TempDir Path dir;
  private Path root;
  private Tools tools;

  @BeforeEach
  void setUp() throws Exception {
    root = Files.createDirectory(dir.resolve("workspace"));
    Files.writeString(dir.resolve("secret.txt"), "outside");
    tools = new Tools(root, Duration.ofSeconds(5));
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
    Tools quick = new Tools(root, Duration.ofMillis(300));
    var slow = quick.run(resolved(Intent.exec(List.of("sleep", "30"))));
    assertThat(slow.path("timedOut").asBoolean()).isTrue();
    var flood = tools.run(resolved(Intent.exec(List.of("head", "-c", "1000000", "/dev/zero"))));
    assertThat(flood.path("truncated").asBoolean()).isTrue();
    assertThat(flood.path("output").asText().length()).isLessThanOrEqualTo(Tools.MAX_BYTES);
    assertThat(flood.path("exitCode").asInt()).isZero();
  }
}
