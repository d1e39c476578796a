package dev.supervisor.functional;

import static dev.supervisor.testsupport.TestChildren.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.Backoff;
import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.ExitStatus;
import dev.supervisor.RestartMode;
import dev.supervisor.RestartPolicy;
import dev.supervisor.Supervisor;
import dev.supervisor.event.ChildStartFailed;
import dev.supervisor.testsupport.TestChildren;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class StartFailureTest extends SupervisorFixture {
  private static final RestartPolicy TWO_TRIES = RestartPolicy.of(RestartMode.ON_FAILURE, Backoff.fixed(Duration.ofMillis(10)))
      .giveUpAfter(2, Duration.ofSeconds(60));

  private String failureOf(ChildSpec spec) {
    Supervisor s = start(spec, TestChildren.sleeps("healthy").build());
    await().atMost(WAIT).until(() -> child(s, spec.name()).state() == ChildState.FATAL);
    assertThat(child(s, "healthy").state()).isEqualTo(ChildState.RUNNING);
    assertThat(child(s, spec.name()).restarts()).isEqualTo(2); // start failures count as crashes
    assertThat(eventsOf(ChildStartFailed.class)).hasSize(3);
    ExitStatus exit = child(s, spec.name()).lastExit().orElseThrow();
    assertThat(exit.kind()).isEqualTo(ExitStatus.Kind.START_FAILED);
    return exit.reason().orElseThrow();
  }

  @Test
  void aMissingExecutableIsAStartFailureWithTheReason() {
    String reason = failureOf(ChildSpec.builder("ghost").argv("no-such-binary-xyz", "--flag").restartPolicy(TWO_TRIES)
        .env("PATH", "/usr/bin:/bin").build());
    assertThat(reason).isEqualTo("executable 'no-such-binary-xyz' not found on PATH (/usr/bin:/bin); install it or give its absolute path");
  }

  @Test
  void aNonExecutableFileIsAStartFailure() throws Exception {
    Path script = Files.writeString(home.resolve("script.sh"), "#!/bin/sh\nexit 0\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-r--r--"));
    String reason = failureOf(ChildSpec.builder("noexec").argv(script.toString()).restartPolicy(TWO_TRIES).build());
    assertThat(reason).isEqualTo("'" + script + "' is not executable (mode rw-r--r--); chmod +x it");
  }

  @Test
  void aMissingWorkingDirectoryIsAStartFailure() {
    Path missing = home.resolve("nowhere");
    String reason = failureOf(sh("lost", "exec sleep 1000").workingDirectory(missing).restartPolicy(TWO_TRIES).build());
    assertThat(reason).isEqualTo("working directory '" + missing + "' does not exist; create it or fix workingDirectory");
  }
}
