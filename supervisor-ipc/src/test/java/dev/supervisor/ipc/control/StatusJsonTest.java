package dev.supervisor.ipc.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.supervisor.ChildState;
import dev.supervisor.ChildStatus;
import dev.supervisor.StormBreaker;
import dev.supervisor.SupervisorState;
import dev.supervisor.SupervisorStatus;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The wire form of a status; no process. */
class StatusJsonTest {
  private static ChildStatus child(String name, Optional<String> logFault) {
    return child(name, logFault, OptionalInt.empty());
  }

  private static ChildStatus child(String name, Optional<String> logFault, OptionalInt processes) {
    return new ChildStatus(name, ChildState.RUNNING, OptionalLong.of(42), 3, Optional.empty(), 2, Optional.empty(), Optional.empty(),
        Optional.empty(), Optional.empty(), Optional.empty(), OptionalLong.empty(), "standard", Optional.empty(), Optional.empty(),
        logFault, processes);
  }

  @Test
  void aLogFaultTravelsOnlyWhileThereIsOne() {
    SupervisorStatus status = new SupervisorStatus(SupervisorState.RUNNING, Instant.parse("2026-12-01T10:00:00Z"),
        List.of(child("full", Optional.of("no space left on the file system of /h/logs (0 bytes free)")), child("fine", Optional.empty())),
        new StormBreaker.Status(false, Optional.empty(), Optional.empty(), List.of(), "off"));
    JsonNode json = StatusJson.toJson(status, 1, Optional.empty(), Path.of("/h"));
    assertThat(json.path("children").get(0).path("logFault").asText())
        .isEqualTo("no space left on the file system of /h/logs (0 bytes free)");
    assertThat(json.path("children").get(1).has("logFault")).isFalse();
    SupervisorStatus back = StatusJson.fromJson(json);
    assertThat(back.children()).extracting(ChildStatus::logFault)
        .containsExactly(Optional.of("no space left on the file system of /h/logs (0 bytes free)"), Optional.empty());
  }

  @Test
  void theProcessCountTravelsAndNullMeansUnknown() {
    SupervisorStatus status = new SupervisorStatus(SupervisorState.RUNNING, Instant.parse("2026-12-01T10:00:00Z"),
        List.of(child("web", Optional.empty(), OptionalInt.of(3)), child("stopped", Optional.empty(), OptionalInt.empty())),
        new StormBreaker.Status(false, Optional.empty(), Optional.empty(), List.of(), "off"));
    JsonNode json = StatusJson.toJson(status, 1, Optional.empty(), Path.of("/h"));
    assertThat(json.path("children").get(0).path("processes").asInt()).isEqualTo(3);
    assertThat(json.path("children").get(1).path("processes").isNull()).isTrue();
    assertThat(StatusJson.fromJson(json).children()).extracting(ChildStatus::processes).containsExactly(OptionalInt.of(3), OptionalInt.empty());
    assertThat(status.toTable()).contains(" PROCS ");
  }
}
