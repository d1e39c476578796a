package dev.supervisor.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ExitStatus;
import dev.supervisor.HandOver;
import dev.supervisor.LogConfig;
import dev.supervisor.OrphanPolicy;
import dev.supervisor.Supervisor;
import dev.supervisor.json.JsonForms;
import dev.supervisor.persist.ProcessSignature;
import dev.supervisor.testsupport.Pids;
import dev.supervisor.testsupport.TestChildren;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** What supervisor-ipc and agentd used from the internal package, now public API. */
class PublicSeamsTest extends SupervisorFixture {

  @Test
  void logTailReadsAChildsLastLines() throws Exception {
    Supervisor s = start(TestChildren.sh("talker", "for i in 1 2 3 4 5; do echo line $i; done; exec sleep 1000").build(),
        TestChildren.sleeps("quiet").logs(LogConfig.discard()).build());
    s.awaitHealthy(WAIT);
    await().atMost(WAIT).until(() -> s.logTail("talker", 2).equals(java.util.List.of("line 4", "line 5")));
    assertThatThrownBy(() -> s.logTail("quiet", 2)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no log file");
    assertThatThrownBy(() -> s.logTail("ghost", 2)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ghost");
    assertThat(s.spec("talker").name()).isEqualTo("talker");
    assertThatThrownBy(() -> s.spec("ghost")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no child named 'ghost'; children: talker, quiet");
    assertThat(dev.supervisor.persist.PidLock.fileOf(home)).isEqualTo(home.resolve("supervisor.pid"));
  }

  @Test
  void killRecordedChildrenEndsWhatAGoneSupervisorLeftByItsStateFile() throws Exception {
    Supervisor s = start(b -> b.recovery(OrphanPolicy.ADOPT), TestChildren.sleeps("a").build(), TestChildren.sleeps("b").build());
    s.awaitHealthy(WAIT);
    HandOver h = s.handOver(WAIT); // children left running, recorded: as a hung supervisor leaves them
    assertThat(h.running().values()).allMatch(Pids::alive);

    assertThat(Supervisor.killRecordedChildren(home)).isEqualTo(2);

    assertThat(h.running().values()).noneMatch(Pids::alive);
    assertThat(Supervisor.killRecordedChildren(home)).as("nothing left").isZero();
  }

  @Test
  void jsonFormsReadBackWhatTheyWrite() {
    ExitStatus exit = ExitStatus.fromExitValue(3);
    assertThat(JsonForms.exitStatus(JsonForms.toJson(exit))).isEqualTo(exit);
    assertThat(JsonForms.toJson(ExitStatus.fromExitValue(137)).path("signal").asText()).isEqualTo("KILL");
  }

  @Test
  void processFactsFromProc() throws Exception {
    long me = ProcessHandle.current().pid();
    assertThat(ProcessSignature.isStopped(me)).isFalse();
    assertThat(ProcessSignature.processGroup(me)).isPresent();
    assertThat(ProcessSignature.processGroup(Long.MAX_VALUE / 2)).isEmpty();
    assertThat(Files.exists(home)).isTrue();
  }
}
