package dev.supervisor.internal;

import dev.supervisor.ExitStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spawn of the JDK 22+ process layer: {@code posix_spawn} through the FFM API
 * ({@code SpawnFfm}, compiled at release 22) with {@code POSIX_SPAWN_SETSID}, the signal mask
 * emptied and every signal's disposition reset, stdin from {@code /dev/null}, stdout and stderr
 * on the log file the supervisor opened ({@code O_APPEND|O_CLOEXEC}), the working directory
 * ({@code posix_spawn_file_actions_addchdir_np}), every other descriptor closed
 * ({@code addclosefrom_np}, glibc 2.34+) and the exact environment; no {@code jspawnhelper}, no
 * {@code setsid} exec. Its exit is reaped on the one thread of {@link ExitWatch}, with its exact
 * status: no reaper thread per child.
 *
 * <p>Active when {@link NativeSignals} is (the same {@code -Dsupervisor.processLayer}) and the
 * exit watch and libc's functions load; with {@code auto}, anything missing falls back to the
 * JDK's {@link ProcessBuilder} with one WARN saying why; with {@code ffm}, it refuses every spawn.
 */
public final class NativeSpawns {
  private static final Logger log = LoggerFactory.getLogger(NativeSpawns.class);

  /** A process {@code posix_spawn} started: its handle (taken before anything can reap it) and its exit. */
  record Spawned(long pid, ProcessHandle handle, CompletableFuture<ExitStatus> exit) {}

  /** {@code posix_spawn} as this layer uses it. */
  interface Spawn {
    /**
     * Starts {@code argv} from {@code executable} as the leader of a new session and process group.
     *
     * @param env the complete environment
     * @param dir its working directory; empty for the supervisor's
     * @param output the file its stdout and stderr are appended to (created 0600 if missing); empty for {@code /dev/null}
     * @param passFds descriptors of this process the child gets as 3, 4, ... (socket activation); every other one is closed
     * @throws IOException naming the command and the system's reason when it cannot be started
     */
    Spawned spawn(Path executable, List<String> argv, Map<String, String> env, Optional<Path> dir, Optional<Path> output,
        List<Integer> passFds) throws IOException;
  }

  /** The spawn, or why there is none. */
  record Choice(Optional<Spawn> spawn, Optional<String> why) {}

  private static final AtomicLong SPAWNED = new AtomicLong();

  private NativeSpawns() {}

  private static final class Holder {
    static final Choice CHOICE = choose(NativeSignals.active(), ExitWatch.pidfds(), NativeSpawns::load);
  }

  /** The decision, given whether the FFM signals are active, the exit watch, and the loader. */
  static Choice choose(boolean signalsNative, Optional<ExitWatch.Pidfds> pidfds,
      Function<ExitWatch.Pidfds, Spawn> loader) {
    if (!signalsNative) {
      return new Choice(Optional.empty(), Optional.of("the process layer is " + NativeSignals.layer()));
    }
    if (pidfds.isEmpty()) {
      return new Choice(Optional.empty(), Optional.of(ExitWatch.whyNot()));
    }
    try {
      return new Choice(Optional.of(loader.apply(pidfds.get())), Optional.empty());
    } catch (RuntimeException | LinkageError e) {
      return new Choice(Optional.empty(), Optional.of("posix_spawn through the FFM API could not be loaded (" + e + ")"));
    }
  }

  private static Spawn load(ExitWatch.Pidfds pidfds) {
    try {
      return (Spawn) Class.forName("dev.supervisor.internal.SpawnFfm").getDeclaredConstructor(ExitWatch.Pidfds.class)
          .newInstance(pidfds);
    } catch (java.lang.reflect.InvocationTargetException e) {
      throw new IllegalStateException(String.valueOf(e.getCause()), e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e.toString(), e);
    }
  }

  private static Choice choice() {
    return Holder.CHOICE;
  }

  /** Whether children are spawned by {@code posix_spawn} and reaped by the exit watch. */
  public static boolean active() {
    return choice().spawn().isPresent();
  }

  /** Why they are not, when {@link #active} is false. */
  static Optional<String> whyNot() {
    return choice().why();
  }

  /** The spawn; only when {@link #active}. */
  static Spawn get() {
    return choice().spawn().orElseThrow(() -> new IllegalStateException("no posix_spawn here: " + whyNot().orElse("")));
  }

  /** Once per JVM: the WARN (with auto) when the FFM signals are active but the FFM spawn is not. */
  private static final AtomicBoolean WARNED = new AtomicBoolean();

  /** Refusal with {@code -Dsupervisor.processLayer=ffm} when the spawn cannot be had; the WARN with auto, once. */
  static Optional<String> refusal() {
    Optional<String> signals = NativeSignals.refusal();
    if (signals.isPresent()) {
      return signals;
    }
    if (NativeSignals.active() && !active()) {
      String why = whyNot().orElse("unknown");
      if (NativeSignals.forced()) {
        return Optional.of("-D" + NativeSignals.PROPERTY + "=ffm: the FFM spawn cannot be had here (" + why
            + "): run on JDK 22+ with a jar built there, on Linux 5.4+ with glibc 2.34+, or drop the option");
      }
      if (WARNED.compareAndSet(false, true)) {
        log.warn("process layer: children are spawned through the JDK ({}), with a reaper thread each", why);
      }
    }
    return Optional.empty();
  }

  /** How many children were spawned through {@code posix_spawn} in this JVM (for tests and benchmarks). */
  public static long spawned() {
    return SPAWNED.get();
  }

  static void counted() {
    SPAWNED.incrementAndGet();
  }

  /**
   * The status {@code waitid} gave: {@code si_code} {@code CLD_EXITED} is an exit code,
   * {@code CLD_KILLED} a signal, {@code CLD_DUMPED} a signal with a core dump; a failed
   * {@code waitid} ({@code code} is minus its errno) is an unknown exit.
   */
  static ExitStatus decode(int code, int status) {
    return switch (code) {
      case ExitWatch.CLD_EXITED -> ExitStatus.exited(status);
      case ExitWatch.CLD_KILLED -> ExitStatus.signaled(ExitStatus.signalName(status));
      case ExitWatch.CLD_DUMPED -> ExitStatus.dumped(ExitStatus.signalName(status));
      default -> ExitStatus.unknown(code < 0 ? "waitid failed: errno " + -code : "waitid gave si_code " + code);
    };
  }

  /** The JDK's exit value of a status ({@link dev.supervisor.spi.LaunchedProcess#onExit}): the code, or 128 + the signal. */
  static int exitValue(ExitStatus s) {
    if (s.kind() == ExitStatus.Kind.EXITED) {
      return s.code().getAsInt();
    }
    if (s.kind() == ExitStatus.Kind.SIGNALED) {
      String name = s.signal().get();
      for (int n = 1; n < 65; n++) {
        if (ExitStatus.signalName(n).equals(name)) {
          return 128 + n;
        }
      }
    }
    return -1;
  }
}
