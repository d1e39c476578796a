package dev.supervisor.functional;

import static dev.supervisor.testsupport.TestChildren.sleeps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ChildState;
import dev.supervisor.Supervisor;
import dev.supervisor.event.WatchTriggered;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class WatchTest extends SupervisorFixture {

  private static boolean running(Supervisor s, String name) {
    return child(s, name).state() == ChildState.RUNNING;
  }

  @Test
  void aChangeRestartsTheChildOnceAfterTheDebounceIgnoringWhatItShould() throws Exception {
    Path src = Files.createDirectories(home.resolve("src/main"));
    // made before the start: "**/build/**" matches what is under build/, not the directory itself,
    // whose creation later would be a change like any new directory
    Files.createDirectories(home.resolve("src/build"));
    Supervisor s = start(sleeps("app").watch(List.of(home.resolve("src")), Duration.ofMillis(300),
        List.of("**/*.log", "**/build/**")).build());
    await().atMost(WAIT).until(() -> running(s, "app"));
    long first = pid(s, "app");

    Files.writeString(home.resolve("src/app.log"), "ignored");          // ignored by glob
    Files.writeString(home.resolve("src/build/out.class"), "ignored");  // ignored by glob
    // well past the 300 ms debounce: had an ignored file counted, the restart would be under way
    await().during(Duration.ofMillis(900)).atMost(WAIT).until(() -> pid(s, "app") == first && running(s, "app")
        && eventsOf(WatchTriggered.class).isEmpty());

    for (int i = 0; i < 5; i++) {                                       // a burst: one restart
      Files.writeString(src.resolve("Main" + i + ".java"), "class Main" + i + " {}");
    }
    await().atMost(WAIT).until(() -> pid(s, "app") != first && running(s, "app"));
    await().during(Duration.ofMillis(600)).atMost(WAIT).until(() -> child(s, "app").runId() == 2); // one restart, not five
    assertThat(eventsOf(WatchTriggered.class)).singleElement().satisfies(e -> {
      assertThat(e.name()).isEqualTo("app");
      assertThat(e.file().toString()).startsWith(src.toString()).endsWith(".java");
    });

    // a directory made after the start is a change, and is watched from then on
    long second = pid(s, "app");
    Path fresh = Files.createDirectories(src.resolve("fresh"));
    await().atMost(WAIT).until(() -> pid(s, "app") != second && running(s, "app"));
    long third = pid(s, "app");
    Files.writeString(fresh.resolve("New.java"), "class New {}");
    await().atMost(WAIT).until(() -> pid(s, "app") != third);
    assertThat(eventsOf(WatchTriggered.class)).last().satisfies(e -> assertThat(e.file()).isEqualTo(fresh.resolve("New.java")));
  }

  @Test
  void watchingCanBeTurnedOffAndOn() throws Exception {
    Path dir = Files.createDirectories(home.resolve("conf"));
    // 'witness' watches the same directory, so its restart shows the change was seen
    Supervisor s = start(sleeps("app").watch(dir).build(), sleeps("witness").watch(dir).build(), sleeps("plain").build());
    await().atMost(WAIT).until(() -> running(s, "app") && running(s, "witness"));
    s.setWatching("app", false);
    assertThat(s.isWatching("app")).isFalse();
    long app = pid(s, "app");
    long witness = pid(s, "witness");
    Files.writeString(dir.resolve("a.conf"), "x=1");
    await().atMost(WAIT).until(() -> pid(s, "witness") != witness && running(s, "witness"));
    assertThat(pid(s, "app")).as("not restarted while its watching is off").isEqualTo(app);
    s.setWatching("app", true);
    Files.writeString(dir.resolve("b.conf"), "y=2");
    await().atMost(WAIT).until(() -> pid(s, "app") != app);
    assertThat(eventsOf(WatchTriggered.class)).filteredOn(e -> e.name().equals("app"))
        .extracting(e -> e.file().getFileName().toString()).containsExactly("b.conf");
    assertThatThrownBy(() -> s.setWatching("plain", true)).hasMessage("child 'plain' watches no files: give its spec watch(paths...)");
  }
}
