package dev.supervisor.internal;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * Landlock and {@code no_new_privs} through the FFM API (JDK 22+): {@code syscall(444..446)} for
 * {@code landlock_create_ruleset}, {@code landlock_add_rule} and {@code landlock_restrict_self}
 * (the same numbers on every architecture), {@code prctl(PR_SET_NO_NEW_PRIVS)}, {@code open(O_PATH)}.
 * Loaded by {@link Landlock} only when the JDK has the API.
 */
final class LandlockFfm implements Landlock.Native {
  private static final long SYS_CREATE_RULESET = 444, SYS_ADD_RULE = 445, SYS_RESTRICT_SELF = 446;
  private static final int CREATE_RULESET_VERSION = 1;
  private static final int RULE_PATH_BENEATH = 1;
  private static final int PR_SET_NO_NEW_PRIVS = 38;
  private static final int O_PATH = 010000000, O_CLOEXEC = 02000000;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CALL_STATE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
  private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");
  // long syscall(long number, ...): called with (number, a1, a2, a3) as longs/addresses
  private static final MethodHandle SYSCALL_PTR = handle("syscall",
      FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1), CAPTURE);
  private static final MethodHandle SYSCALL_RULE = handle("syscall",
      FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG), Linker.Option.firstVariadicArg(1), CAPTURE);
  private static final MethodHandle SYSCALL_2 = handle("syscall",
      FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1), CAPTURE);
  private static final MethodHandle PRCTL = handle("prctl",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1), CAPTURE);
  private static final MethodHandle OPEN = handle("open",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2), CAPTURE);
  private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

  private static MethodHandle handle(String name, FunctionDescriptor d, Linker.Option... options) {
    MemorySegment addr = LINKER.defaultLookup().find(name)
        .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    return LINKER.downcallHandle(addr, d, options);
  }

  @Override
  public int abi() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      long r = (long) SYSCALL_PTR.invokeExact(state, SYS_CREATE_RULESET, MemorySegment.NULL, 0L, (long) CREATE_RULESET_VERSION);
      return r >= 0 ? (int) r : -errno(state);
    } catch (Throwable t) {
      return -1;
    }
  }

  @Override
  public void noNewPrivs() throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int r = (int) PRCTL.invokeExact(state, PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L);
      if (r != 0) {
        throw new IOException("prctl(PR_SET_NO_NEW_PRIVS) failed: errno " + errno(state));
      }
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("prctl(PR_SET_NO_NEW_PRIVS) failed: " + t, t);
    }
  }

  @Override
  public void restrict(long handledFs, long handledNet, long scoped, int attrSize, List<Landlock.Rule> rules) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      MemorySegment attr = arena.allocate(24, 8);
      attr.set(JAVA_LONG, 0, handledFs);
      attr.set(JAVA_LONG, 8, handledNet);
      attr.set(JAVA_LONG, 16, scoped);
      long fd = (long) SYSCALL_PTR.invokeExact(state, SYS_CREATE_RULESET, attr, (long) attrSize, 0L);
      if (fd < 0) {
        throw new IOException("landlock_create_ruleset failed: errno " + errno(state));
      }
      try {
        MemorySegment beneath = arena.allocate(12, 8);
        for (Landlock.Rule rule : rules) {
          if (rule.access() == 0) {
            continue;
          }
          int pathFd = (int) OPEN.invokeExact(state, arena.allocateFrom(rule.path().toString()), O_PATH | O_CLOEXEC, 0);
          if (pathFd < 0) {
            throw new IOException("cannot open " + rule.path() + " for a Landlock rule: errno " + errno(state)
                + " (the path must exist when the child starts)");
          }
          try {
            beneath.set(JAVA_LONG_UNALIGNED, 0, rule.access());
            beneath.set(JAVA_INT_UNALIGNED, 8, pathFd);
            long r = (long) SYSCALL_RULE.invokeExact(state, SYS_ADD_RULE, fd, (long) RULE_PATH_BENEATH, beneath, 0L);
            if (r != 0) {
              throw new IOException("landlock_add_rule for " + rule.path() + " failed: errno " + errno(state));
            }
          } finally {
            int ignored = (int) CLOSE.invokeExact(pathFd);
          }
        }
        long r = (long) SYSCALL_2.invokeExact(state, SYS_RESTRICT_SELF, fd, 0L);
        if (r != 0) {
          throw new IOException("landlock_restrict_self failed: errno " + errno(state));
        }
      } finally {
        int ignored = (int) CLOSE.invokeExact((int) fd);
      }
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("Landlock call failed: " + t, t);
    }
  }

  private static int errno(MemorySegment state) {
    return (int) ERRNO.get(state, 0L);
  }
}
