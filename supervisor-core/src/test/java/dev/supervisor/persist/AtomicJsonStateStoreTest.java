package dev.supervisor.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.supervisor.ExitStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicJsonStateStoreTest {
  @TempDir Path dir;

  private static PersistedState state(int restarts) {
    return new PersistedState(PersistedState.SCHEMA_VERSION, Instant.parse("2026-11-22T10:00:00Z"),
        Optional.of(new ProcessSignature(42, 4242)),
        List.of(new PersistedState.Child("web", true, "RUNNING", Optional.of(new ProcessSignature(100, 1000)), 3, restarts, 1,
                Optional.of(ExitStatus.exited(3)), false, Optional.of("exit code 3, attempt 1: restart in 1s")),
            new PersistedState.Child("db", false, "STOPPED", Optional.empty(), 1, 0, 0,
                Optional.of(ExitStatus.signaled("TERM").asRequested()), false, Optional.empty())));
  }

  @Test
  void roundTripsAndKeepsThePreviousGoodFileAsBackup() throws Exception {
    StateStore store = StateStore.atomicJsonFile(dir.resolve("state.json"));
    assertThat(store.load()).isEmpty();
    store.save(state(1));
    store.save(state(2));
    assertThat(store.load()).contains(state(2));
    assertThat(StateStore.atomicJsonFile(dir.resolve("state.json.bak")).load().orElseThrow().children().get(0).restarts()).isEqualTo(1);
    assertThat(dir.resolve("state.json.tmp")).doesNotExist();
  }

  @Test
  void theCgroupOfALiveRunRoundTripsAndAFileWithoutOneStillReads() throws Exception {
    StateStore store = StateStore.atomicJsonFile(dir.resolve("state.json"));
    PersistedState.Child web = new PersistedState.Child("web", true, "RUNNING", Optional.of(new ProcessSignature(100, 1000)), 3, 0, 0,
        Optional.empty(), false, Optional.empty(), Optional.of("/sys/fs/cgroup/supervisor-42/web-3"));
    store.save(new PersistedState(PersistedState.SCHEMA_VERSION, Instant.parse("2026-11-22T10:00:00Z"), Optional.empty(), List.of(web)));
    assertThat(Files.readString(dir.resolve("state.json"))).contains("\"cgroup\":\"/sys/fs/cgroup/supervisor-42/web-3\"");
    assertThat(store.load().orElseThrow().child("web").orElseThrow().cgroup()).contains("/sys/fs/cgroup/supervisor-42/web-3");
    // as written before cgroups were recorded: same schema version, no field
    Files.writeString(dir.resolve("old.json"), "{\"schemaVersion\":1,\"savedAt\":\"2026-11-22T10:00:00Z\",\"children\":[{\"name\":\"web\","
        + "\"desired\":\"running\",\"state\":\"RUNNING\",\"process\":{\"pid\":100,\"startTicks\":1000},\"runId\":3}]}\n");
    assertThat(StateStore.atomicJsonFile(dir.resolve("old.json")).load().orElseThrow().child("web").orElseThrow().cgroup()).isEmpty();
    assertThat(PersistedState.SCHEMA_VERSION).as("an optional field: older readers ignore it").isEqualTo(1);
  }

  private StateStore withDamagedPrimary(byte[] damage) throws IOException {
    StateStore store = StateStore.atomicJsonFile(dir.resolve("state.json"));
    store.save(state(1));
    store.save(state(2));
    Files.write(dir.resolve("state.json"), damage);
    return StateStore.atomicJsonFile(dir.resolve("state.json"));
  }

  @Test
  void anEmptyPrimaryFallsBackToTheBackup() throws Exception {
    assertThat(withDamagedPrimary(new byte[0]).load()).contains(state(1));
  }

  @Test
  void aTruncatedPrimaryFallsBackToTheBackup() throws Exception {
    StateStore store = StateStore.atomicJsonFile(dir.resolve("state.json"));
    store.save(state(1));
    store.save(state(2));
    byte[] full = Files.readAllBytes(dir.resolve("state.json"));
    Files.write(dir.resolve("state.json"), java.util.Arrays.copyOf(full, full.length / 2));
    assertThat(StateStore.atomicJsonFile(dir.resolve("state.json")).load()).contains(state(1));
  }

  @Test
  void aGarbagePrimaryFallsBackToTheBackup() throws Exception {
    assertThat(withDamagedPrimary("\u0000garbage{{{".getBytes()).load()).contains(state(1));
  }

  @Test
  void aMissingPrimaryFallsBackToTheBackup() throws Exception {
    StateStore store = withDamagedPrimary(new byte[0]);
    Files.delete(dir.resolve("state.json"));
    assertThat(store.load()).contains(state(1));
  }

  @Test
  void aDamagedPrimaryNeverReplacesAGoodBackup() throws Exception {
    StateStore store = withDamagedPrimary("garbage".getBytes());
    assertThat(store.load()).contains(state(1)); // from the backup
    store.save(state(3)); // the damaged primary must not become the backup
    assertThat(StateStore.atomicJsonFile(dir.resolve("state.json.bak")).load()).contains(state(1));
    assertThat(store.load()).contains(state(3));
  }

  @Test
  void aNewerSchemaIsRefused() throws Exception {
    Files.writeString(dir.resolve("state.json"), "{\"schemaVersion\":7,\"savedAt\":\"2026-01-01T00:00:00Z\",\"children\":[]}");
    assertThatThrownBy(() -> StateStore.atomicJsonFile(dir.resolve("state.json")).load())
        .isInstanceOf(IOException.class)
        .hasMessage(dir.resolve("state.json") + " was written with state schema version 7 by a newer supervisor; this one reads up to 1:"
            + " upgrade the library, or move the file away to start without saved state");
  }

  @Test
  void bothFilesDamagedMeansNoState() throws Exception {
    Files.writeString(dir.resolve("state.json"), "{");
    Files.writeString(dir.resolve("state.json.bak"), "");
    assertThat(StateStore.atomicJsonFile(dir.resolve("state.json")).load()).isEmpty();
  }

  @Test
  void aFailedWriteLeavesThePreviousStateIntact() throws Exception {
    StateStore store = StateStore.atomicJsonFile(dir.resolve("state.json"));
    store.save(state(1));
    Files.createDirectory(dir.resolve("state.json.tmp")); // the temp file cannot be created
    assertThatThrownBy(() -> store.save(state(2))).isInstanceOf(IOException.class);
    assertThat(store.load()).contains(state(1));
  }
}
