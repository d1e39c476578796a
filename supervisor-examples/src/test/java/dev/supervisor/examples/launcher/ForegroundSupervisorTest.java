package dev.supervisor.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which command lines run a supervisor in the foreground, and so relaunch themselves lean. */
class ForegroundSupervisorTest {
  @Test
  void daemonRunAndAForegroundServeAreSupervisorsWhateverTheOptionValues() {
    assertThat(Agentd.foregroundSupervisor("daemon", "run")).isTrue();
    assertThat(Agentd.foregroundSupervisor("--home", "/h", "--config", "c.json", "daemon", "run")).isTrue();
    assertThat(Agentd.foregroundSupervisor("--child-user", "daemon", "daemon", "run")).as("an option's value named daemon").isTrue();
    assertThat(Agentd.foregroundSupervisor("--home=/h", "daemon", "serve")).isTrue();
    assertThat(Agentd.foregroundSupervisor("daemon", "serve", "-d")).as("in the background: daemon start's JVM").isFalse();
    assertThat(Agentd.foregroundSupervisor("daemon", "start")).isFalse();
    assertThat(Agentd.foregroundSupervisor("daemon", "status")).isFalse();
    assertThat(Agentd.foregroundSupervisor("tool", "exec", "--", "daemon", "run")).as("an argument of another command").isFalse();
    assertThat(Agentd.foregroundSupervisor("--home", "daemon")).isFalse();
  }
}
