package dev.supervisor.functional;

import static dev.supervisor.testsupport.TestChildren.exitsWithCode;
import static dev.supervisor.testsupport.TestChildren.sleeps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.supervisor.Backoff;
import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.RestartMode;
import dev.supervisor.RestartPolicy;
import dev.supervisor.Supervisor;
import dev.supervisor.event.StateStoreWriteFailed;
import dev.supervisor.persist.AlreadyRunningException;
import dev.supervisor.persist.PersistedState;
import dev.supervisor.persist.StateStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class PersistenceTest extends SupervisorFixture {

  @Test
  void aSecondSupervisorOnTheSameHomeFailsFast() throws Exception {
    Supervisor s = start(sleeps("a").build());
    s.awaitHealthy(WAIT);
    Supervisor other = Supervisor.builder(home).shutdownHook(false).child(sleeps("a").build()).build();
    assertThatThrownBy(other::startAsync)
        .isInstanceOf(AlreadyRunningException.class)
        .hasMessageStartingWith("supervisor already running (pid " + ProcessHandle.current().pid() + ", since ");
    assertThat(other.state()).isEqualTo(dev.supervisor.SupervisorState.NEW);
  }

  @Test
  void operatorStoppedStaysStoppedAndFatalStaysFatalAcrossSupervisorRestarts() throws Exception {
    RestartPolicy giveUp = RestartPolicy.of(RestartMode.ON_FAILURE, Backoff.fixed(Duration.ofMillis(10))).giveUpAfter(2, Duration.ofSeconds(60));
    ChildSpec[] specs = {sleeps("a").build(), exitsWithCode("b", 5).restartPolicy(giveUp).build(), sleeps("c").build()};
    Supervisor first = start(specs);
    await().atMost(WAIT).until(() -> child(first, "c").state() == ChildState.RUNNING);
    first.stop("c");
    await().atMost(WAIT).until(() -> child(first, "b").state() == ChildState.FATAL && child(first, "c").state() == ChildState.STOPPED);
    first.close();

    Supervisor second = start(specs);
    await().atMost(WAIT).until(() -> child(second, "a").state() == ChildState.RUNNING);
    await().during(Duration.ofMillis(300)).atMost(WAIT)
        .until(() -> child(second, "b").state() == ChildState.FATAL && child(second, "c").state() == ChildState.STOPPED);
    assertThat(child(second, "b").restarts()).isEqualTo(2);
    assertThat(child(second, "b").reason()).contains("2 restarts in 60s (last exit code 5)");
    second.restart("b"); // an operator brings it back (and it fails again: FATAL again after 2 restarts)
    await().atMost(WAIT).until(() -> child(second, "b").restarts() == 4 && child(second, "b").state() == ChildState.FATAL);
    second.start("c");
    await().atMost(WAIT).until(() -> child(second, "c").state() == ChildState.RUNNING);
  }

  /** A store whose disk is "full" until told otherwise. */
  private static final class FullDisk implements StateStore {
    final StateStore real;
    final AtomicBoolean full = new AtomicBoolean(true);

    FullDisk(Path file) {
      real = StateStore.atomicJsonFile(file);
    }

    @Override
    public Optional<PersistedState> load() throws IOException {
      return real.load();
    }

    @Override
    public void save(PersistedState state) throws IOException {
      if (full.get()) {
        throw new IOException("No space left on device");
      }
      real.save(state);
    }
  }

  @Test
  void aFullDiskIsLoggedSupervisionGoesOnAndTheNextFlushSucceeds() throws Exception {
    FullDisk disk = new FullDisk(home.resolve("state.json"));
    Supervisor s = start(b -> b.stateStore(disk).stateFlushInterval(Duration.ofMillis(100)), sleeps("a").build());
    s.awaitHealthy(WAIT);
    await().atMost(WAIT).until(() -> !eventsOf(StateStoreWriteFailed.class).isEmpty());
    assertThat(eventsOf(StateStoreWriteFailed.class).get(0).message()).contains("No space left on device", "supervising from memory");
    long pid = pid(s, "a");
    dev.supervisor.testsupport.Pids.kill9(pid);
    await().atMost(WAIT).until(() -> pid(s, "a") != pid && child(s, "a").state() == ChildState.RUNNING);
    disk.full.set(false);
    await().atMost(WAIT).until(() -> Files.exists(home.resolve("state.json")));
    assertThat(StateStore.atomicJsonFile(home.resolve("state.json")).load().orElseThrow().child("a").orElseThrow().restarts()).isEqualTo(1);
  }

  @Test
  void anUnwritableStateDirectoryIsLoggedAndRetriedUntilItIsFixed() throws Exception {
    Path stateDir = home.resolve("state");
    Files.writeString(stateDir, "a file where a directory should be (root ignores permission bits)");
    Supervisor s = start(b -> b.stateStore(StateStore.atomicJsonFile(stateDir.resolve("state.json"))).stateFlushInterval(Duration.ofMillis(100)),
        sleeps("a").build());
    s.awaitHealthy(WAIT);
    await().atMost(WAIT).until(() -> !eventsOf(StateStoreWriteFailed.class).isEmpty());
    assertThat(s.stateWrites()).isZero();
    Files.delete(stateDir);
    Files.createDirectory(stateDir);
    await().atMost(WAIT).until(() -> s.stateWrites() > 0 && Files.exists(stateDir.resolve("state.json")));
    assertThat(child(s, "a").state()).isEqualTo(ChildState.RUNNING);
  }

  @Test
  void aRestartStormDoesNotWriteOncePerEvent() throws Exception {
    RestartPolicy zero = RestartPolicy.of(RestartMode.ALWAYS, Backoff.fixed(Duration.ZERO)).restartForever();
    ChildSpec[] storm = new ChildSpec[20];
    for (int i = 0; i < storm.length; i++) {
      storm[i] = exitsWithCode("crash-" + i, 1).restartPolicy(zero).build();
    }
    Supervisor s = start(b -> b.stormBreaker(dev.supervisor.StormBreaker.off()), storm); // the storm is the point
    // how fast the storm runs is the machine's business (a JDK 17 spawn is four execs); how often it writes is ours
    await().atMost(Duration.ofSeconds(60)).until(() -> s.status().children().stream().mapToInt(c -> c.restarts()).sum() >= 500);
    long transitions = eventsOf(dev.supervisor.event.ChildStateChanged.class).size();
    assertThat(s.stateWrites()).as("writes for %d transitions", transitions).isLessThan(transitions / 5);
  }
}
