package dev.supervisor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.supervisor.ChildSpec;
import dev.supervisor.ConfigException;
import dev.supervisor.SupervisorConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code "sockets"}: what an address may be, the names the child sees, and the errors. Binds nothing. */
class ListenAddressTest {
  private static ListenAddress parse(String text) {
    return ListenAddress.parse(text, Optional.empty());
  }

  @Test
  void tcpAddressesAreIpLiteralsOrLocalhostWithAFixedPort() {
    assertThat(parse("tcp:127.0.0.1:8080").address()).isEqualTo("tcp:127.0.0.1:8080");
    assertThat(parse("tcp:127.0.0.1:8080").name()).isEqualTo("tcp-8080");
    assertThat(parse("tcp:0.0.0.0:80").host().getHostAddress()).isEqualTo("0.0.0.0");
    assertThat(parse("tcp:[::1]:9000").address()).isEqualTo("tcp:[0:0:0:0:0:0:0:1]:9000");
    assertThat(parse("tcp:localhost:9000").address()).isEqualTo("tcp:127.0.0.1:9000");
    assertThat(parse("admin=tcp:127.0.0.1:9001").name()).isEqualTo("admin");
  }

  @Test
  void anythingElseIsRefusedWithWhatToWrite() {
    assertThatThrownBy(() -> parse("127.0.0.1:8080")).hasMessageContaining("write \"tcp:127.0.0.1:8080\"");
    assertThatThrownBy(() -> parse("tcp:example.com:80")).hasMessageContaining("an IP address, not a host name");
    assertThatThrownBy(() -> parse("tcp:999.0.0.1:80")).hasMessageContaining("is not an IPv4 address");
    assertThatThrownBy(() -> parse("tcp:1.2.3:80")).hasMessageContaining("is not an IPv4 address");
    assertThatThrownBy(() -> parse("tcp:[1::2::3]:80")).hasMessageContaining("is not an IP address");
    assertThatThrownBy(() -> parse("tcp:127.0.0.1:0")).hasMessageContaining("the port must be 1..65535");
    assertThatThrownBy(() -> parse("tcp:127.0.0.1:70000")).hasMessageContaining("the port must be 1..65535");
    assertThatThrownBy(() -> parse("unix:run/web.sock")).hasMessageContaining("must be absolute");
    assertThatThrownBy(() -> parse("unix:/" + "d".repeat(120))).hasMessageContaining("at most 107");
    assertThatThrownBy(() -> parse("bad name=tcp:127.0.0.1:80")).hasMessageContaining("its name 'bad name'");
  }

  @Test
  void unixSocketsAreNamedAfterTheirFileAndRelativePathsNeedABase() {
    assertThat(parse("unix:/run/app/web.sock").name()).isEqualTo("web.sock");
    assertThat(ListenAddress.parse("unix:run/web.sock", Optional.of(Path.of("/etc/app"))).path())
        .isEqualTo(Path.of("/etc/app/run/web.sock"));
  }

  @Test
  void aSpecRefusesTwoSocketsOnOneAddressOrUnderOneName() {
    assertThatThrownBy(() -> ChildSpec.builder("web").sockets("tcp:127.0.0.1:80", "tcp:localhost:80"))
        .hasMessageContaining("declares tcp:127.0.0.1:80 twice");
    assertThatThrownBy(() -> ChildSpec.builder("web").sockets("tcp:127.0.0.1:80", "tcp:[::1]:80"))
        .hasMessageContaining("two sockets named 'tcp-80'").hasMessageContaining("\"admin=tcp:[0:0:0:0:0:0:0:1]:80\"");
    ChildSpec spec = ChildSpec.builder("web").argv("x").sockets("tcp:127.0.0.1:80", "v6=tcp:[::1]:80").build();
    assertThat(spec.sockets()).containsExactly("tcp:127.0.0.1:80", "v6=tcp:[::1]:80");
    assertThat(spec.instance(1).sockets()).isEqualTo(spec.sockets());
    assertThat(spec.toBuilder().sockets().build()).isNotEqualTo(spec); // a changed list restarts the child on reload
  }

  @Test
  void theConfigFileTakesSocketsAndResolvesRelativeUnixPathsAgainstItsDirectory() throws Exception {
    java.nio.file.Path file = java.nio.file.Files.createTempDirectory("sockets-config").resolve("supervisor.json");
    java.nio.file.Files.writeString(file, "{\"children\": [{\"name\": \"web\", \"command\": [\"web\"], \"sockets\":"
        + " [\"tcp:127.0.0.1:8080\", \"api=unix:run/api.sock\", \"unix:/abs/x.sock\"]}]}");
    try {
      List<ChildSpec> children = SupervisorConfig.load(file).children();
      assertThat(children.get(0).sockets()).containsExactly("tcp:127.0.0.1:8080",
          "api=unix:" + file.getParent().resolve("run/api.sock"), "unix:/abs/x.sock");
    } finally {
      java.nio.file.Files.delete(file);
      java.nio.file.Files.delete(file.getParent());
    }
    assertThatThrownBy(() -> SupervisorConfig.parse("{\"children\": [{\"name\": \"web\", \"command\": [\"web\"],"
        + " \"sockets\": \"tcp:127.0.0.1:8080\"}]}", "inline"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("children[0].sockets: must be an array of addresses");
    assertThatThrownBy(() -> SupervisorConfig.parse("{\"children\": [{\"name\": \"web\", \"command\": [\"web\"],"
        + " \"sockets\": [\"tcp:127.0.0.1:0\"]}]}", "inline"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("children[0].sockets: socket 'tcp:127.0.0.1:0'");
  }
}
