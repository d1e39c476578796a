package dev.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ValuesTest {

  @Test
  void exitValuesAbove128AreSignals() {
    assertThat(ExitStatus.fromExitValue(137)).isEqualTo(ExitStatus.signaled("KILL"));
    assertThat(ExitStatus.fromExitValue(143)).hasToString("signal TERM");
    assertThat(ExitStatus.fromExitValue(3)).hasToString("exit code 3");
    assertThat(ExitStatus.fromExitValue(0).isFailure()).isFalse();
    assertThat(ExitStatus.fromExitValue(143).asRequested().isFailure()).isFalse();
    assertThat(ExitStatus.fromExitValue(143).asRequested()).hasToString("signal TERM, requested");
    assertThat(ExitStatus.startFailed("no such file").isFailure()).isTrue();
    assertThat(ExitStatus.signalName(40)).isEqualTo("SIG40");
  }

  @Test
  void durationsParseAndPrint() {
    assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(Durations.parse("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(Durations.parse("0")).isEqualTo(Duration.ZERO);
    assertThat(Durations.format(Duration.ofSeconds(60))).isEqualTo("60s");
    assertThat(Durations.format(Duration.ofMinutes(5))).isEqualTo("5m");
    assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
    for (String s : new String[] {"250ms", "60s", "5m", "1500ms", "2h", "3d"}) {
      assertThat(Durations.format(Durations.parse(s))).isEqualTo(s);
    }
    assertThatThrownBy(() -> Durations.parse("10x")).hasMessage("bad duration '10x' (use e.g. 250ms, 1s, 1.5s, 5m, 2h, 1d)");
    assertThatThrownBy(() -> Durations.parse("-1s")).hasMessage("bad duration '-1s' (use e.g. 250ms, 1s, 1.5s, 5m, 2h, 1d)");
  }

  @Test
  void childNamesAreShortFileNamesThatTheHomeDoesNotUseItself() {
    assertThat(ChildSpec.builder("a".repeat(64)).argv("x").build().name()).hasSize(64);
    assertThat(ChildSpec.builder("1.web_a-b").argv("x").build().name()).isEqualTo("1.web_a-b");
    assertThatThrownBy(() -> ChildSpec.builder("a".repeat(65)))
        .hasMessage("child name '" + "a".repeat(32) + "...' is 65 characters long: the limit is 64 (names become file names such as"
            + " logs/<name>.log)");
    for (String bad : new String[] {".", "..", "-a", ".hidden", ""}) {
      assertThatThrownBy(() -> ChildSpec.builder(bad)).as(bad)
          .hasMessage("child name '" + bad + "' is invalid: use lower-case letters, digits, '.', '_' and '-', starting with a letter"
              + " or a digit");
    }
    assertThatThrownBy(() -> ChildSpec.builder("daemon"))
        .hasMessage("child name 'daemon' is reserved (the supervisor's own files and commands use it; reserved: all, control, daemon,"
            + " events, http, notify, supervisor, supervisor-events): choose another");
    assertThat(ChildSpec.RESERVED_NAMES).allSatisfy(n -> assertThat(ChildSpec.NAME.matcher(n).matches()).as(n).isTrue());
    assertThat(ChildSpec.builder("w".repeat(60)).argv("x").instances(1000).build().instances()).isEqualTo(1000);
    assertThatThrownBy(() -> ChildSpec.builder("w".repeat(61)).argv("x").instances(1))
        .hasMessageStartingWith("child name '" + "w".repeat(32) + "...' is 61 characters long: with instances the limit is 60");
  }

  @Test
  void childSpecDefaultsAndValidation() {
    ChildSpec spec = ChildSpec.builder("w1").argv("sleep", "1").build();
    assertThat(spec.inheritEnv()).containsExactly("PATH", "HOME", "LANG", "TZ");
    assertThat(spec.stopGrace()).isEqualTo(Duration.ofSeconds(10));
    assertThat(spec.stopSignal()).isEqualTo(StopSignal.TERM);
    assertThat(spec.restartPolicy()).isEqualTo(RestartPolicy.standard());
    assertThat(spec.logs()).isEqualTo(LogConfig.defaults());
    assertThat(spec.toBuilder().argv("true").build().argv()).containsExactly("true");
    assertThat(spec.effectiveEnv(java.util.Map.of("PATH", "/bin", "SECRET", "x"))).containsOnlyKeys("PATH");

    assertThatThrownBy(() -> ChildSpec.builder("Bad Name"))
        .hasMessage("child name 'Bad Name' is invalid: use lower-case letters, digits, '.', '_' and '-', starting with a letter or a digit");
    assertThatThrownBy(() -> ChildSpec.builder("w").argv()).hasMessage("argv of child 'w' is empty: give the command to run");
    assertThatThrownBy(() -> ChildSpec.builder("w").build()).hasMessage("child 'w' has no command: call argv(...)");
    assertThatThrownBy(() -> ChildSpec.builder("w").dependsOn("w")).hasMessage("child 'w' cannot depend on itself");
    assertThatThrownBy(() -> ChildSpec.builder("w").stopGrace(Duration.ofSeconds(-1)))
        .hasMessage("stopGrace must not be negative, got PT-1S");
    assertThatThrownBy(() -> Supervisor.builder(java.nio.file.Path.of("/tmp")).build())
        .hasMessage("a supervisor needs at least one child: call child(...)");
  }

  @Test
  void lifecycleMisuseIsReported() throws Exception {
    Supervisor s = Supervisor.builder(java.nio.file.Files.createTempDirectory("sup"))
        .shutdownHook(false).child(ChildSpec.builder("a").argv("true").build()).build();
    assertThatThrownBy(() -> s.awaitHealthy(Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class).hasMessage("supervisor is NEW: call startAsync() first");
    assertThatThrownBy(() -> s.restart("nope"))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("no child named 'nope'; children: a");
    s.close();
    assertThat(s.state()).isEqualTo(SupervisorState.TERMINATED);
    assertThatThrownBy(s::startAsync)
        .hasMessage("supervisor is TERMINATED: startAsync() may be called once, on a NEW supervisor");
  }
}
