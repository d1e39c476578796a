package dev.supervisor.persist;

import dev.supervisor.internal.ProcStat;
import java.util.Optional;

/**
 * A process identity that survives pid reuse: the pid plus its start time in clock ticks since
 * boot (field 22 of {@code /proc/<pid>/stat}). A recycled pid has another start time, so it
 * never matches a recorded signature.
 *
 * @param pid the process id
 * @param startTicks its start time, in ticks of 1/100 s since boot
 */
public record ProcessSignature(long pid, long startTicks) {

  /** The signature of the live process {@code pid}; empty if there is none (or only a zombie). */
  public static Optional<ProcessSignature> of(long pid) {
    return ProcStat.read(pid).filter(s -> s.state() != 'Z').map(s -> new ProcessSignature(pid, s.startTimeTicks()));
  }

  /** This JVM's signature. */
  public static ProcessSignature current() {
    long pid = ProcessHandle.current().pid();
    return of(pid).orElseThrow(() -> new IllegalStateException("cannot read /proc/" + pid + "/stat: is /proc mounted?"));
  }

  /** Whether the live process {@code pid} is stopped (SIGSTOP, or a debugger): state {@code T} or {@code t} in {@code /proc}. */
  public static boolean isStopped(long pid) {
    return ProcStat.read(pid).map(s -> s.state() == 'T' || s.state() == 't').orElse(false);
  }

  /** The process group of the live process {@code pid}, from {@code /proc}; empty if there is no such process. */
  public static java.util.OptionalLong processGroup(long pid) {
    return ProcStat.read(pid).map(s -> java.util.OptionalLong.of(s.pgrp())).orElse(java.util.OptionalLong.empty());
  }

  /** Whether the process this signature names is still alive: same pid, same start time, not a zombie. */
  public boolean isAlive() {
    return of(pid).map(this::equals).orElse(false);
  }

  @Override
  public String toString() {
    return "pid " + pid + " (start " + startTicks + ")";
  }
}
