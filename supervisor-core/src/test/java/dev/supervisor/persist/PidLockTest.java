package dev.supervisor.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.supervisor.testing.ProcessLeakGuard;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(ProcessLeakGuard.class)
class PidLockTest {
  @TempDir Path dir;

  @Test
  void theOwnerIsWrittenAndASecondAcquireFailsNamingIt() throws Exception {
    Path file = dir.resolve("supervisor.pid");
    try (PidLock lock = PidLock.acquire(file)) {
      long me = ProcessHandle.current().pid();
      assertThat(Files.readAllLines(file).get(0)).isEqualTo(Long.toString(me));
      assertThat(lock.owner().signature()).isEqualTo(ProcessSignature.current());
      assertThatThrownBy(() -> PidLock.acquire(file))
          .isInstanceOf(AlreadyRunningException.class)
          .hasMessage("supervisor already running (pid " + me + ", since " + lock.owner().startedAt() + ")")
          .satisfies(e -> assertThat(((AlreadyRunningException) e).ownerPid()).contains(me));
      assertThat(PidLock.liveOwner(file)).contains(lock.owner());
    }
    assertThat(PidLock.liveOwner(file)).isEmpty();
    PidLock.acquire(file).close(); // released: can be taken again
  }

  @Test
  void aFileNamingADeadPidIsReclaimed() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor(5, TimeUnit.SECONDS);
    Path file = dir.resolve("supervisor.pid");
    Files.writeString(file, p.pid() + "\n{\"pid\":" + p.pid() + ",\"startTicks\":1,\"startedAt\":\"2026-01-01T00:00:00Z\",\"version\":\"x\"}\n");
    try (PidLock lock = PidLock.acquire(file)) {
      assertThat(lock.owner().signature().pid()).isEqualTo(ProcessHandle.current().pid());
    }
  }

  @Test
  void aFileNamingALiveProcessWithAnotherStartTimeIsReclaimed() throws Exception {
    Process other = new ProcessBuilder("sleep", "30").start();
    try {
      long realStart = ProcessSignature.of(other.pid()).orElseThrow().startTicks();
      Path file = dir.resolve("supervisor.pid");
      // a recycled pid: the pid is alive, but it is not the process that wrote the file
      Files.writeString(file, other.pid() + "\n{\"pid\":" + other.pid() + ",\"startTicks\":" + (realStart - 500)
          + ",\"startedAt\":\"2026-01-01T00:00:00Z\",\"version\":\"x\"}\n");
      assertThat(new ProcessSignature(other.pid(), realStart - 500).isAlive()).isFalse();
      assertThat(PidLock.liveOwner(file)).isEmpty();
      try (PidLock lock = PidLock.acquire(file)) {
        assertThat(Files.readAllLines(file).get(0)).isEqualTo(Long.toString(ProcessHandle.current().pid()));
      }
    } finally {
      other.destroyForcibly().waitFor();
    }
  }

  @Test
  void garbageNobodyHoldsIsReclaimed() throws Exception {
    Path file = dir.resolve("supervisor.pid");
    Files.writeString(file, "\u0000\u0001 not a pid file at all");
    try (PidLock lock = PidLock.acquire(file)) {
      assertThat(PidLock.parse(Files.readString(file))).contains(lock.owner());
    }
  }
}
