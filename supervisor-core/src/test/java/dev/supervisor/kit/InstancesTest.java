package dev.supervisor.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.ChildStatus;
import dev.supervisor.Supervisor;
import dev.supervisor.testing.FakeProcessLauncher;
import dev.supervisor.event.ChildStateChanged;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Instances and scaling, on fake processes. */
class InstancesTest {
  @TempDir Path home;

  @Test
  void instancesAreNamedNumberedAndScaledHighestFirst() throws Exception {
    FakeProcessLauncher fake = new FakeProcessLauncher();
    List<String> stopping = new CopyOnWriteArrayList<>(); // names, in the order the supervisor began to stop them
    try (Supervisor s = Supervisor.builder(home).processLauncher(fake).shutdownHook(false)
        .listener(e -> {
          if (e instanceof ChildStateChanged c && c.to() == ChildState.STOPPING) {
            stopping.add(c.name());
          }
        }, Runnable::run)
        .child(ChildSpec.builder("web").argv("web").instances(3).build())
        .child(ChildSpec.builder("api").argv("api").dependsOn("web").build()).build()) {
      s.startAsync().awaitHealthy(Duration.ofSeconds(5));
      assertThat(s.status().children()).extracting(ChildStatus::name).containsExactly("web-0", "web-1", "web-2", "api");
      assertThat(fake.current("web-1").request().env()).containsEntry("INSTANCE_ID", "1");
      assertThat(fake.current("web-1").request().spec().instanceOf()).hasValue("web");
      assertThat(s.children().get(3).dependsOn()).containsExactly("web-0", "web-1", "web-2");

      assertThat(s.scale("web", 5)).containsExactly("web-0", "web-1", "web-2", "web-3", "web-4");
      await().until(() -> s.status().child("web-4").map(c -> c.state() == ChildState.RUNNING).orElse(false));
      assertThat(fake.current("web-4").request().env()).containsEntry("INSTANCE_ID", "4");

      FakeProcessLauncher.FakeProcess web2 = fake.current("web-2");
      assertThat(s.scale("web", 2)).containsExactly("web-0", "web-1");
      await().until(() -> !web2.isAlive() && !fake.current("web-4").isAlive() && !fake.current("web-3").isAlive());
      assertThat(stopping).as("scaling down stops the highest instance first").containsExactly("web-4", "web-3", "web-2");
      assertThat(web2.signals()).containsExactly("TERM");
      assertThat(s.status().children()).extracting(ChildStatus::name).containsExactly("web-0", "web-1", "api");
      assertThatThrownBy(() -> s.restart("web-3")).hasMessage("no child named 'web-3'; children: web-0, web-1, api");

      s.scale("web", 3); // web-2 comes back
      await().until(() -> s.status().child("web-2").map(c -> c.state() == ChildState.RUNNING).orElse(false));
      assertThat(fake.launches("web-2")).isEqualTo(2);
      assertThatThrownBy(() -> s.scale("api", 2)).hasMessage("'api' was not declared with instances(n); these were: web");
    }
  }

  @Test
  void anInstanceNameClashingWithAnotherChildIsRefusedByTheBuilder() {
    assertThatThrownBy(() -> Supervisor.builder(home).processLauncher(new FakeProcessLauncher())
        .child(ChildSpec.builder("web").argv("web").instances(2).build())
        .child(ChildSpec.builder("web-1").argv("other").build()).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("child 'web-1' has the same name as instance 'web-1' of 'web' (instances 2); rename one of them");
  }

  @Test
  void scalingIntoAnotherChildsNameIsRefusedAndChangesNothing() throws Exception {
    FakeProcessLauncher fake = new FakeProcessLauncher();
    try (Supervisor s = Supervisor.builder(home).processLauncher(fake).shutdownHook(false)
        .child(ChildSpec.builder("web").argv("web").instances(1).build())
        .child(ChildSpec.builder("web-2").argv("other").build()).build()) {
      s.startAsync().awaitHealthy(Duration.ofSeconds(5));
      assertThatThrownBy(() -> s.scale("web", 3))
          .hasMessage("cannot scale 'web' to 3: child 'web-2' has the same name as instance 'web-2' of 'web' (instances 1);"
              + " rename one of them");
      assertThat(s.status().children()).extracting(ChildStatus::name).containsExactly("web-0", "web-2");
      assertThat(fake.launches("web-2")).isEqualTo(1);
    }
  }
}
