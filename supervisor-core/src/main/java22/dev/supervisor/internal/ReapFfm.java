package dev.supervisor.internal;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/** {@code prctl(PR_GET_CHILD_SUBREAPER)} and {@code waitid(P_PID)} of libc through the FFM API, for {@link OrphanReaper}. */
final class ReapFfm implements OrphanReaper.Calls {
  private static final int PR_GET_CHILD_SUBREAPER = 37, P_PID = 1, WEXITED = 4, WNOHANG = 1;
  private static final long SI_PID = 16;
  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final MethodHandle PRCTL = LINKER.downcallHandle(
      LINKER.defaultLookup().find("prctl").orElseThrow(() -> new UnsatisfiedLinkError("libc has no prctl")),
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), Linker.Option.firstVariadicArg(1));
  private static final MethodHandle WAITID = LINKER.downcallHandle(
      LINKER.defaultLookup().find("waitid").orElseThrow(() -> new UnsatisfiedLinkError("libc has no waitid")),
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.captureCallState("errno"));

  @Override
  public boolean isSubreaper() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment flag = arena.allocate(JAVA_INT);
      int r = (int) PRCTL.invokeExact(PR_GET_CHILD_SUBREAPER, flag.address());
      return r == 0 && flag.get(JAVA_INT, 0) != 0;
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  @Override
  public int reap(long pid) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      MemorySegment info = arena.allocate(128, 8);
      int r = (int) WAITID.invokeExact(state, P_PID, (int) pid, info, WEXITED | WNOHANG);
      if (r != 0) {
        return -(int) ERRNO.get(state, 0L);
      }
      return info.get(JAVA_INT, SI_PID) == 0 ? 1 : 0;
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }
}
