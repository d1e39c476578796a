package dev.supervisor.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The guard must fail a test that leaks, or no test can claim to clean up. */
class ProcessLeakGuardTest {

  @Test
  void aLeakedMarkedProcessFailsTheTestAndIsKilled() throws Exception {
    ProcessLeakGuard guard = new ProcessLeakGuard();
    guard.beforeEach(null);
    ProcessBuilder pb = new ProcessBuilder("sleep", "1000");
    pb.environment().put(ProcessLeakGuard.MARK_VAR, ProcessLeakGuard.mark());
    Process leaked = pb.start();
    assertThat(ProcessLeakGuard.findMarked(ProcessLeakGuard.mark())).singleElement().asString().startsWith(leaked.pid() + " sleep 1000");
    assertThatThrownBy(() -> guard.afterEach(null))
        .isInstanceOf(AssertionError.class)
        .hasMessageStartingWith("test leaked 1 process(es) (now killed): [" + leaked.pid() + " sleep 1000]");
    assertThat(leaked.waitFor(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void noLeakPasses() throws Exception {
    ProcessLeakGuard guard = new ProcessLeakGuard();
    guard.beforeEach(null);
    guard.afterEach(null);
  }
}
