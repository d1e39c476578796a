package dev.supervisor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.supervisor.ExitStatus;
import java.io.IOException;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The wait-status decoding and the choice of spawn, without spawning (real spawns: {@code ProcessLayersTest}). */
class NativeSpawnsTest {
  private static final ExitWatch.Pidfds PIDFDS = new ExitWatch.Pidfds() {
    @Override
    public ExitWatch.Watch watch(long pid, Runnable onGone) throws IOException {
      throw new IOException("not here");
    }

    @Override
    public void reap(long pid, ExitWatch.Reaped onExit) throws IOException {
      throw new IOException("not here");
    }
  };

  @Test
  void waitStatusesAreDecodedExactly() {
    assertThat(NativeSpawns.decode(ExitWatch.CLD_EXITED, 0)).isEqualTo(ExitStatus.exited(0));
    assertThat(NativeSpawns.decode(ExitWatch.CLD_EXITED, 137)).isEqualTo(ExitStatus.exited(137)); // not SIGKILL
    assertThat(NativeSpawns.decode(ExitWatch.CLD_KILLED, 9)).isEqualTo(ExitStatus.signaled("KILL"));
    assertThat(NativeSpawns.decode(ExitWatch.CLD_KILLED, 40)).isEqualTo(ExitStatus.signaled("SIG40"));
    ExitStatus core = NativeSpawns.decode(ExitWatch.CLD_DUMPED, 11);
    assertThat(core).isEqualTo(ExitStatus.dumped("SEGV"));
    assertThat(core.coreDumped()).isTrue();
    assertThat(core.isFailure()).isTrue();
    assertThat(core).hasToString("signal SEGV (core dumped)");
    assertThat(core.asRequested().coreDumped()).isTrue();
    assertThat(core.withReason("r").coreDumped()).isTrue();
    assertThat(NativeSpawns.decode(-10, 0)).isEqualTo(ExitStatus.unknown("waitid failed: errno 10"));
    assertThat(NativeSpawns.decode(6, 0).kind()).isEqualTo(ExitStatus.Kind.UNKNOWN);
  }

  @Test
  void theJdkExitValueOfAStatusIsTheCodeOr128PlusTheSignal() {
    assertThat(NativeSpawns.exitValue(ExitStatus.exited(3))).isEqualTo(3);
    assertThat(NativeSpawns.exitValue(ExitStatus.signaled("KILL"))).isEqualTo(137);
    assertThat(NativeSpawns.exitValue(ExitStatus.dumped("QUIT"))).isEqualTo(131);
    assertThat(NativeSpawns.exitValue(ExitStatus.signaled("SIG40"))).isEqualTo(168);
    assertThat(NativeSpawns.exitValue(ExitStatus.unknown("x"))).isEqualTo(-1);
  }

  @Test
  void aCoreDumpIsKeptInTheJsonFormAndOnlyASignalCanHaveOne() {
    ExitStatus core = ExitStatus.dumped("ABRT");
    assertThat(ExitStatusJson.toJson(core).path("coreDumped").asBoolean()).isTrue();
    assertThat(ExitStatusJson.fromJson(ExitStatusJson.toJson(core))).isEqualTo(core);
    assertThat(ExitStatusJson.toJson(ExitStatus.signaled("ABRT")).has("coreDumped")).isFalse();
    assertThatThrownBy(() -> new ExitStatus(ExitStatus.Kind.EXITED, java.util.OptionalInt.of(1), Optional.empty(), false,
        Optional.empty(), true)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("EXITED");
  }

  @Test
  void theSpawnIsChosenOnlyWithTheFfmSignalsAndAnExitWatchAndSaysWhyNot() {
    NativeSpawns.Spawn fake = (exe, argv, env, dir, out, fds) -> {
      throw new IOException("fake");
    };
    assertThat(NativeSpawns.choose(true, Optional.of(PIDFDS), p -> fake).spawn()).containsSame(fake);
    NativeSpawns.Choice noSignals = NativeSpawns.choose(false, Optional.of(PIDFDS), p -> fake);
    assertThat(noSignals.spawn()).isEmpty();
    assertThat(noSignals.why()).hasValueSatisfying(w -> assertThat(w).startsWith("the process layer is "));
    assertThat(NativeSpawns.choose(true, Optional.empty(), p -> fake).spawn()).isEmpty();
    NativeSpawns.Choice broken = NativeSpawns.choose(true, Optional.of(PIDFDS), p -> {
      throw new UnsatisfiedLinkError("libc has no posix_spawn_file_actions_addclosefrom_np");
    });
    assertThat(broken.spawn()).isEmpty();
    assertThat(broken.why()).hasValueSatisfying(w -> assertThat(w).contains("addclosefrom_np"));
  }

  @Test
  void theDefaultSpawnIsPosixSpawnExactlyWhereTheFfmSignalsAre() {
    boolean ffm = Runtime.version().feature() >= 22 && System.getProperty(NativeSignals.PROPERTY, "auto").equals("auto");
    assertThat(NativeSpawns.active()).as("JDK %d: %s", Runtime.version().feature(), NativeSpawns.whyNot()).isEqualTo(ffm);
    assertThat(SystemProcessLauncher.INSTANCE.spawnsNatively()).isEqualTo(ffm);
  }
}
