package dev.supervisor.internal;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * {@code int kill(pid_t pid, int sig)} of libc through the FFM API (JDK 22+), with its errno.
 * Loaded by {@link NativeSignals} only when the JDK has the API.
 */
final class KillFfm implements NativeSignals.Kill {
  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final MethodHandle KILL = LINKER.downcallHandle(
      LINKER.defaultLookup().find("kill").orElseThrow(() -> new UnsatisfiedLinkError("libc has no kill")),
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.captureCallState("errno"));

  @Override
  public int kill(long pid, int signal) {
    if (pid < Integer.MIN_VALUE || pid > Integer.MAX_VALUE || pid == 0 || pid == -1) {
      throw new IllegalArgumentException("not a process or group to signal: " + pid); // 0 and -1 would reach far more
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int r = (int) KILL.invokeExact(state, (int) pid, signal);
      return r == 0 ? 0 : -(int) ERRNO.get(state, 0L);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("kill(" + pid + ", " + signal + ") failed: " + t, t);
    }
  }
}
