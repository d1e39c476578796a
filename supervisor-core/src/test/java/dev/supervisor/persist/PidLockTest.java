package dev.supervisor.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.TestProcesses;
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

  /**
   * A prober (liveOwner in another process: a CLI asking who holds the home) holds the lock for
   * an instant and writes nothing; a supervisor starting at that instant used to give up with
   * "already running" and no owner. Here the prober is python's fcntl lock, held 300 ms.
   */
  @Test
  void aProberHoldingTheLockForAnInstantDoesNotMakeAStartFail() throws Exception {
    Path python = Path.of("/usr/bin/python3");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(python), "needs python3");
    Path file = dir.resolve("supervisor.pid");
    Files.writeString(file, "");
    Process prober = TestProcesses.builder("env", ProcessLeakGuard.MARK_VAR + "=" + ProcessLeakGuard.mark(), python.toString(), "-c",
        "import fcntl, sys, time\nf = open(sys.argv[1], 'r+')\nfcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\nprint('held', flush=True)\n"
            + "time.sleep(0.3)\nfcntl.lockf(f, fcntl.LOCK_UN)\nf.close()", file.toString()).start();
    try {
      assertThat(new java.io.BufferedReader(new java.io.InputStreamReader(prober.getInputStream())).readLine()).isEqualTo("held");
      try (PidLock lock = PidLock.acquire(file)) {
        assertThat(lock.owner().signature()).isEqualTo(ProcessSignature.current());
      }
    } finally {
      prober.destroyForcibly().waitFor();
    }
  }

  @Test
  void aFileNamingADeadPidIsReclaimed() throws Exception {
    Process p = TestProcesses.builder("true").start();
    p.waitFor(5, TimeUnit.SECONDS);
    Path file = dir.resolve("supervisor.pid");
    Files.writeString(file, p.pid() + "\n{\"pid\":" + p.pid() + ",\"startTicks\":1,\"startedAt\":\"2026-01-01T00:00:00Z\",\"version\":\"x\"}\n");
    try (PidLock lock = PidLock.acquire(file)) {
      assertThat(lock.owner().signature().pid()).isEqualTo(ProcessHandle.current().pid());
    }
  }

  @Test
  void aFileNamingALiveProcessWithAnotherStartTimeIsReclaimed() throws Exception {
    Process other = TestProcesses.builder("sleep", "30").start();
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
