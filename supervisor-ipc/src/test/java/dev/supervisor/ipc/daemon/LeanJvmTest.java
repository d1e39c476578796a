package dev.supervisor.ipc.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which JVMs a foreground supervisor relaunches (the relaunch itself: {@code AgentdStatusE2ETest}). */
class LeanJvmTest {
  @Test
  void onlyAJvmWithoutTuningIsRelaunched() {
    assertThat(LeanJvm.sizedByUser(List.of())).isFalse();
    assertThat(LeanJvm.sizedByUser(List.of("-Dx=1", "--enable-native-access=ALL-UNNAMED", "-Xshare:auto", "-ea",
        "--add-opens=java.base/java.lang=ALL-UNNAMED"))).isFalse();
    // the user's own sizing, a setting that would clash with the daemon's flags, an agent or a debugger: left alone
    for (String tuned : List.of("-Xmx1g", "-Xms512m", "-XX:MaxRAMPercentage=50", "-XX:+UseZGC", "-XX:TieredStopAtLevel=4",
        "-Xss1m", "-javaagent:/opt/otel.jar", "-agentlib:jdwp=transport=dt_socket,server=y,address=5005",
        "-XX:+UnlockDiagnosticVMOptions")) {
      assertThat(LeanJvm.sizedByUser(List.of("-Dx=1", tuned))).as(tuned).isTrue();
    }
    assertThat(LeanJvm.sizedByUser(LeanJvm.FLAGS)).isTrue(); // the relaunched JVM itself
  }
}
