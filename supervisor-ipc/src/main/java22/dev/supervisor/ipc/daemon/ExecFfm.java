package dev.supervisor.ipc.daemon;

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
import java.util.List;

/**
 * {@code execv(2)} through the FFM API, for {@link LeanJvm#relaunch}: first the calling thread's
 * signal mask is emptied (a mask survives exec, and the new JVM must get SIGTERM and SIGHUP), and
 * every descriptor above 2 is marked close-on-exec ({@code close_range(3, ~0, CLOSE_RANGE_CLOEXEC)},
 * Linux 5.11+; where that fails nothing is exec'd: a listening socket carried over would clash
 * with the new JVM's own).
 */
final class ExecFfm implements LeanJvm.Exec {
  private static final int SIG_SETMASK = 2;
  /** The charset the JVM decoded its own arguments with: the same bytes go to the new one. */
  private static final java.nio.charset.Charset JNU = charset(System.getProperty("sun.jnu.encoding", "UTF-8"));
  private static final long SYS_CLOSE_RANGE = 436, CLOSE_RANGE_CLOEXEC = 4;
  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final MethodHandle EXECV = handle("execv", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS),
      Linker.Option.captureCallState("errno"));
  private static final MethodHandle SIGEMPTYSET = handle("sigemptyset", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final MethodHandle PTHREAD_SIGMASK = handle("pthread_sigmask",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
  private static final MethodHandle SYSCALL = handle("syscall",
      FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1));

  @Override
  public int exec(String path, List<String> argv) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment array = arena.allocate(ADDRESS, argv.size() + 1L);
      for (int i = 0; i < argv.size(); i++) {
        array.setAtIndex(ADDRESS, i, arena.allocateFrom(argv.get(i), JNU));
      }
      array.setAtIndex(ADDRESS, argv.size(), MemorySegment.NULL);
      MemorySegment file = arena.allocateFrom(path, JNU);
      MemorySegment empty = arena.allocate(256, 16);
      int emptied = (int) SIGEMPTYSET.invokeExact(empty);
      int masked = (int) PTHREAD_SIGMASK.invokeExact(SIG_SETMASK, empty, MemorySegment.NULL);
      long marked = (long) SYSCALL.invokeExact(SYS_CLOSE_RANGE, 3L, 0xffffffffL, CLOSE_RANGE_CLOEXEC);
      if (marked != 0) { // a listening socket (a debug or JMX port) would survive into the new JVM and clash with it there
        return -1;
      }
      MemorySegment state = arena.allocate(CALL_STATE);
      int r = (int) EXECV.invokeExact(state, file, array);
      return r == 0 ? 0 : (int) ERRNO.get(state, 0L);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  private static java.nio.charset.Charset charset(String name) {
    try {
      return java.nio.charset.Charset.forName(name);
    } catch (RuntimeException e) {
      return java.nio.charset.StandardCharsets.UTF_8;
    }
  }

  private static MethodHandle handle(String name, FunctionDescriptor d, Linker.Option... options) {
    MemorySegment addr = LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    return LINKER.downcallHandle(addr, d, options);
  }
}
