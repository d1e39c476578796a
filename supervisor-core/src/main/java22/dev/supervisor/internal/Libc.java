package dev.supervisor.internal;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** What the FFM classes of the spawn and the sockets share: libc's functions by name, and errno in words. */
final class Libc {
  private static final Linker LINKER = Linker.nativeLinker();
  private static final MethodHandle STRERROR = handle("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));

  private Libc() {}

  /** A downcall to libc's {@code name}; an {@link UnsatisfiedLinkError} naming it when this libc has none. */
  static MethodHandle handle(String name, FunctionDescriptor d, Linker.Option... options) {
    MemorySegment addr = LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    return LINKER.downcallHandle(addr, d, options);
  }

  /** {@code "Address already in use (errno 98)"}. */
  static String describe(int errno) {
    try {
      MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
      return s.reinterpret(256).getString(0) + " (errno " + errno + ")";
    } catch (Throwable t) {
      return "errno " + errno;
    }
  }
}
