package dev.supervisor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.testsupport.Pids;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.TestProcesses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Process-group signals without a process on JDK 22+ ({@code kill(2)} through the FFM API), the
 * kill command on JDK 17, and the switch that forces either: the decision for every case, then
 * the real one of this JVM against a real process group.
 */
@ExtendWith(ProcessLeakGuard.class)
class NativeSignalsTest {
  private static final NativeSignals.Kill FAKE = (pid, signal) -> 0;
  @TempDir Path dir;

  @Test
  void theLayerFollowsTheJdkAndTheSwitch() {
    assertThat(NativeSignals.choose("auto", 25, "amd64", () -> FAKE).kill()).containsSame(FAKE);
    assertThat(NativeSignals.choose("auto", 25, "amd64", () -> FAKE).layer()).isEqualTo("ffm (kill(2) through the FFM API)");
    assertThat(NativeSignals.choose("FFM", 22, "aarch64", () -> FAKE).kill()).containsSame(FAKE);

    NativeSignals.Choice jdk17 = NativeSignals.choose("auto", 17, "amd64", () -> FAKE);
    assertThat(jdk17.kill()).isEmpty();
    assertThat(jdk17.layer()).isEqualTo("jdk (kill command)");
    assertThat(jdk17.refusal()).isEmpty();
    assertThat(jdk17.warning()).as("JDK 17 has no FFM: nothing to warn about").isEmpty();

    NativeSignals.Choice forcedJdk = NativeSignals.choose("jdk", 25, "amd64", () -> FAKE);
    assertThat(forcedJdk.kill()).isEmpty();
    assertThat(forcedJdk.refusal()).isEmpty();
  }

  @Test
  void aLayerThatCannotBeHadIsSaidSoAndAForcedOneRefusesToSpawn() {
    NativeSignals.Choice broken = NativeSignals.choose("auto", 25, "amd64", () -> {
      throw new UnsatisfiedLinkError("no kill");
    });
    assertThat(broken.kill()).isEmpty();
    assertThat(broken.refusal()).isEmpty();
    assertThat(broken.warning()).hasValueSatisfying(w -> assertThat(w).contains("could not be loaded")
        .contains("no kill").contains("signals go through the kill command"));

    assertThat(NativeSignals.choose("ffm", 17, "amd64", () -> FAKE).refusal()).hasValue("-Dsupervisor.processLayer=ffm:"
        + " kill(2) through the FFM API needs JDK 22 or later; this is JDK 17: run on JDK 22+ with a jar built there, or drop"
        + " the option");
    assertThat(NativeSignals.choose("ffm", 25, "riscv64", () -> FAKE).refusal()).hasValueSatisfying(r -> assertThat(r)
        .contains("x86_64 and aarch64 Linux only; this is riscv64"));
    assertThat(NativeSignals.choose("fast", 25, "amd64", () -> FAKE).refusal())
        .hasValue("-Dsupervisor.processLayer=fast is not a process layer: use auto (the default), jdk or ffm");
  }

  @Test
  void signalNamesAreLinuxNumbers() {
    assertThat(NativeSignals.number("TERM")).isEqualTo(15);
    assertThat(NativeSignals.number("SIGKILL")).isEqualTo(9);
    assertThat(NativeSignals.number("usr1")).isEqualTo(10);
    assertThat(NativeSignals.number("HUP")).isEqualTo(1);
  }

  @Test
  void aGroupSignalReachesEveryMemberAndOnJdk22ItIsASystemCall() throws Exception {
    boolean ffm = Runtime.version().feature() >= 22 && System.getProperty(NativeSignals.PROPERTY, "auto").equals("auto");
    assertThat(NativeSignals.active()).as("layer %s on JDK %d", NativeSignals.layer(), Runtime.version().feature()).isEqualTo(ffm);
    assertThat(SystemProcessLauncher.INSTANCE.layer()).isEqualTo(ffm ? "ffm (posix_spawn, pidfd exits, kill(2))" : "jdk (ProcessBuilder, kill command)");
    assertThat(new dev.supervisor.testing.FakeProcessLauncher().layer()).isEqualTo("fake (test kit)");
    Path grandchild = dir.resolve("grandchild.pid");
    Process leader = TestProcesses.start(ProcessGroups.groupLeaderPrefix().get(0), "sh", "-c",
        "sleep 300 & echo $! > " + grandchild + "; exec sleep 300");
    await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(grandchild) && Pids.readPid(grandchild) > 0);
    long member = Pids.readPid(grandchild);
    long sentBefore = NativeSignals.sent();

    ProcessGroups.signalGroup(leader.pid(), "TERM", leader.toHandle());

    await().atMost(Duration.ofSeconds(5)).until(() -> !Pids.alive(leader.pid()) && !Pids.alive(member));
    assertThat(NativeSignals.sent() - sentBefore).as("signals through kill(2)").isEqualTo(ffm ? 1 : 0);
  }
}
