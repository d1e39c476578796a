package dev.supervisor;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What Supervisor.Builder.build() throws, as its javadoc says. */
class BuilderContractTest {
  @TempDir Path home;

  private static ChildSpec child(String name, String... deps) {
    return ChildSpec.builder(name).argv("/bin/true").dependsOn(deps).build();
  }

  @Test
  void badChildrenAreIllegalArguments() {
    assertThatThrownBy(() -> Supervisor.builder(home).build()).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one child");
    assertThatThrownBy(() -> Supervisor.builder(home).child(child("a")).child(child("a")).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate child name 'a'");
    assertThatThrownBy(() -> Supervisor.builder(home).child(child("a", "b")).child(child("b", "a")).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dependency cycle");
    assertThatThrownBy(() -> Supervisor.builder(home).child(child("a", "x")).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown child 'x'");
  }

  @Test
  void aNotifyChildWithoutASocketFactoryIsAnIncompleteBuilder() {
    ChildSpec n = ChildSpec.builder("n").argv("/bin/true").readinessNotify(Duration.ofSeconds(1)).build();
    assertThatThrownBy(() -> Supervisor.builder(home).child(n).build()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no notify socket factory").hasMessageContaining(".notifySockets(");
  }
}
