package dev.supervisor.internal;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.Inet6Address;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * {@code socket(2)}, {@code setsockopt(2)}, {@code bind(2)}, {@code listen(2)} and
 * {@code close(2)} of libc through the FFM API (JDK 22+), for {@link ListenSockets}; x86_64 and
 * aarch64 Linux share every constant used here.
 */
final class SocketsFfm implements ListenSockets.Binder {
  private static final int AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10, SOCK_STREAM = 1, SOCK_NONBLOCK = 04000, SOCK_CLOEXEC = 02000000;
  private static final int F_DUPFD_CLOEXEC = 1030, ECONNREFUSED = 111, ENOENT = 2, EAGAIN = 11, EINPROGRESS = 115;
  private static final int SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_ACCEPTCONN = 30, IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26;
  private static final long SYS_PIDFD_OPEN = 434, SYS_PIDFD_GETFD = 438; // the same numbers on every architecture

  private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

  private final MethodHandle socket = Libc.handle("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE);
  private final MethodHandle setsockopt = Libc.handle("setsockopt",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), CAPTURE);
  private final MethodHandle bind = Libc.handle("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), CAPTURE);
  private final MethodHandle listen = Libc.handle("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE);
  private final MethodHandle close = Libc.handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private final MethodHandle fchmod = Libc.handle("fchmod", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE);
  private final MethodHandle connect = Libc.handle("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), CAPTURE);
  private final MethodHandle fcntl = Libc.handle("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
      Linker.Option.firstVariadicArg(2), CAPTURE);
  private final MethodHandle getsockname = Libc.handle("getsockname", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS),
      CAPTURE);
  private final MethodHandle getsockopt = Libc.handle("getsockopt",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), CAPTURE);
  private final MethodHandle syscall = Libc.handle("syscall",
      FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1), CAPTURE);

  @Override
  public int bind(ListenAddress a) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      boolean v6 = a.host() instanceof Inet6Address;
      int family = a.unix() ? AF_UNIX : v6 ? AF_INET6 : AF_INET;
      int fd = (int) socket.invokeExact(state, family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        throw failed(a, "socket", state);
      }
      fd = aboveStandardStreams(fd, "cannot listen on " + a.address(), state);
      boolean ok = false;
      try {
        MemorySegment one = arena.allocate(JAVA_INT);
        one.set(JAVA_INT, 0, 1);
        if (!a.unix() && (int) setsockopt.invokeExact(state, fd, SOL_SOCKET, SO_REUSEADDR, one, 4) != 0) {
          throw failed(a, "setsockopt SO_REUSEADDR", state);
        }
        if (v6 && (int) setsockopt.invokeExact(state, fd, IPPROTO_IPV6, IPV6_V6ONLY, one, 4) != 0) {
          throw failed(a, "setsockopt IPV6_V6ONLY", state);
        }
        // a unix socket's file takes the socket's mode at bind (less the umask): made 0600 with no window and no path
        if (a.unix() && (int) fchmod.invokeExact(state, fd, 0600) != 0) {
          throw failed(a, "fchmod", state);
        }
        MemorySegment addr = sockaddr(arena, a, family);
        if ((int) bind.invokeExact(state, fd, addr, (int) addr.byteSize()) != 0) {
          throw failed(a, "bind", state);
        }
        ok = true;
        return fd;
      } finally {
        if (!ok) {
          close(fd);
        }
      }
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  /** sockaddr_un, sockaddr_in or sockaddr_in6, the port in network byte order. */
  private static MemorySegment sockaddr(Arena arena, ListenAddress a, int family) {
    if (a.unix()) {
      byte[] path = a.path().toString().getBytes(StandardCharsets.UTF_8);
      MemorySegment s = arena.allocate(2 + path.length + 1L, 2);
      s.set(JAVA_SHORT, 0, (short) family);
      MemorySegment.copy(path, 0, s, JAVA_BYTE, 2, path.length);
      return s; // the NUL is there: arena memory is zeroed
    }
    byte[] ip = a.host().getAddress();
    MemorySegment s = arena.allocate(family == AF_INET6 ? 28 : 16, 4);
    s.set(JAVA_SHORT, 0, (short) family);
    s.set(JAVA_BYTE, 2, (byte) (a.port() >> 8));
    s.set(JAVA_BYTE, 3, (byte) a.port());
    MemorySegment.copy(ip, 0, s, JAVA_BYTE, family == AF_INET6 ? 8 : 4, ip.length);
    return s;
  }

  /**
   * A copy of descriptor {@code target} of process {@code pid} ({@code pidfd_getfd(2)}, Linux 5.6+,
   * the right to ptrace it), checked to be a listening socket bound to {@code a}; close-on-exec,
   * 3 or above.
   *
   * @throws IOException saying why it cannot be had or is not the socket expected; nothing is left open
   */
  @Override
  public int take(long pid, int target, ListenAddress a) throws IOException {
    int fd = -1;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int pidfd = (int) (long) syscall.invokeExact(state, SYS_PIDFD_OPEN, pid, 0L, 0L);
      if (pidfd < 0) {
        throw new IOException("pidfd_open(" + pid + ") failed: " + Libc.describe((int) ERRNO.get(state, 0L)));
      }
      try {
        fd = (int) (long) syscall.invokeExact(state, SYS_PIDFD_GETFD, (long) pidfd, (long) target, 0L);
        if (fd < 0) {
          int errno = (int) ERRNO.get(state, 0L);
          throw new IOException("pidfd_getfd(" + pid + ", " + target + ") failed: " + Libc.describe(errno) + (errno == 1
              ? " (taking a descriptor from another process needs the right to ptrace it: the same user and, under Yama's"
              + " ptrace_scope 1, CAP_SYS_PTRACE; see /proc/sys/kernel/yama/ptrace_scope)" : ""));
        }
      } finally {
        close(pidfd);
      }
      int copy = fd;
      fd = -1; // aboveStandardStreams closes it on a failure
      fd = aboveStandardStreams(copy, "cannot take back " + a.address(), state);
      MemorySegment len = arena.allocate(JAVA_INT);
      MemorySegment value = arena.allocate(JAVA_INT);
      len.set(JAVA_INT, 0, 4);
      if ((int) getsockopt.invokeExact(state, fd, SOL_SOCKET, SO_ACCEPTCONN, value, len) != 0) {
        throw new IOException("descriptor " + target + " of process " + pid + " is not a socket: "
            + Libc.describe((int) ERRNO.get(state, 0L)));
      }
      if (value.get(JAVA_INT, 0) != 1) {
        throw new IOException("descriptor " + target + " of process " + pid + " is a socket that does not listen");
      }
      MemorySegment want = sockaddr(arena, a, a.unix() ? AF_UNIX : a.host() instanceof Inet6Address ? AF_INET6 : AF_INET);
      MemorySegment got = arena.allocate(128, 8);
      len.set(JAVA_INT, 0, 128);
      if ((int) getsockname.invokeExact(state, fd, got, len) != 0) {
        throw new IOException("getsockname of descriptor " + target + " of process " + pid + " failed: "
            + Libc.describe((int) ERRNO.get(state, 0L)));
      }
      if (!sameAddress(want, got, len.get(JAVA_INT, 0))) {
        throw new IOException("descriptor " + target + " of process " + pid + " is not bound to " + a.address());
      }
      int taken = fd;
      fd = -1;
      return taken;
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    } finally {
      if (fd >= 0) {
        close(fd);
      }
    }
  }

  /** A non-blocking connect: refused or no file is nobody; connected or a full backlog (EAGAIN) is someone. */
  @Override
  public boolean listening(java.nio.file.Path path) throws IOException {
    ListenAddress a = new ListenAddress("probe", null, 0, path);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int fd = (int) socket.invokeExact(state, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0) {
        throw failed(a, "socket", state);
      }
      try {
        MemorySegment addr = sockaddr(arena, a, AF_UNIX);
        if ((int) connect.invokeExact(state, fd, addr, (int) addr.byteSize()) == 0) {
          return true;
        }
        int errno = (int) ERRNO.get(state, 0L);
        if (errno == ECONNREFUSED || errno == ENOENT) {
          return false; // a socket file nobody listens on
        }
        if (errno == EAGAIN || errno == EINPROGRESS) {
          return true; // a listener with a full backlog
        }
        throw new IOException("cannot tell whether a process listens on " + path + ": connect failed: " + Libc.describe(errno));
      } finally {
        close(fd);
      }
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  /** {@code fd} itself if it is 3 or above, else a close-on-exec copy there (the spawn puts its own stdio on 0, 1 and 2). */
  private int aboveStandardStreams(int fd, String what, MemorySegment state) throws Throwable {
    if (fd >= 3) {
      return fd;
    }
    int moved = (int) fcntl.invokeExact(state, fd, F_DUPFD_CLOEXEC, 3);
    int errno = (int) ERRNO.get(state, 0L);
    close(fd);
    if (moved < 0) {
      throw new IOException(what + ": cannot move its descriptor above 2: " + Libc.describe(errno));
    }
    return moved;
  }

  /** Family, port and address (IPv4, IPv6) or path (unix): what bind was given, as getsockname gives it back. */
  private static boolean sameAddress(MemorySegment want, MemorySegment got, int gotLength) {
    short family = want.get(JAVA_SHORT, 0);
    if (got.get(JAVA_SHORT, 0) != family) {
      return false;
    }
    if (family == AF_UNIX) {
      String wanted = want.getString(2);
      return gotLength > 2 && got.getString(2).equals(wanted);
    }
    int addrOffset = family == AF_INET6 ? 8 : 4, addrLength = family == AF_INET6 ? 16 : 4;
    return want.get(JAVA_BYTE, 2) == got.get(JAVA_BYTE, 2) && want.get(JAVA_BYTE, 3) == got.get(JAVA_BYTE, 3)
        && Arrays.equals(want.asSlice(addrOffset, addrLength).toArray(JAVA_BYTE), got.asSlice(addrOffset, addrLength).toArray(JAVA_BYTE));
  }

  @Override
  public void listen(int fd, int backlog) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      if ((int) listen.invokeExact(state, fd, backlog) != 0) {
        throw new IOException("listen failed: " + Libc.describe((int) ERRNO.get(state, 0L)));
      }
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  @Override
  public void close(int fd) {
    try {
      int ignored = (int) close.invokeExact(fd);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  private IOException failed(ListenAddress a, String call, MemorySegment state) {
    int errno = (int) ERRNO.get(state, 0L);
    String hint = switch (errno) {
      case 98 -> ": another process (or another child's socket) holds it";
      case 13 -> a.unix() ? ": the directory is not writable by the supervisor" : ": ports below 1024 need root or"
          + " CAP_NET_BIND_SERVICE";
      case 99 -> ": no interface of this machine has that address";
      case 2 -> ": its directory does not exist";
      default -> "";
    };
    return new IOException("cannot listen on " + a.address() + ": " + call + " failed: " + Libc.describe(errno) + hint);
  }


}
