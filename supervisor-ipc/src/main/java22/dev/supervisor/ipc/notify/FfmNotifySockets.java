package dev.supervisor.ipc.notify;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.supervisor.NotifySocketFactory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notify sockets read with {@code recvmsg(2)} through the FFM API (JDK 22+), with
 * {@code SO_PASSCRED} on, so each datagram carries the sender's pid from the kernel
 * ({@code SCM_CREDENTIALS}); descriptors it carries ({@code SCM_RIGHTS}, from {@code BARRIER=1})
 * are closed. Linux on x86-64 and AArch64 (LP64: the struct offsets below).
 * Loaded by {@link ChildNotifySockets#create()} only; compiled only by a JDK 22+ build.
 */
public final class FfmNotifySockets implements NotifySocketFactory {
  private static final Logger log = LoggerFactory.getLogger(FfmNotifySockets.class);

  private static final int AF_UNIX = 1;
  private static final int SOCK_DGRAM = 2;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int SOL_SOCKET = 1;
  private static final int SO_PASSCRED = 16;
  private static final int SO_RCVTIMEO = 20;
  private static final int SCM_RIGHTS = 1;
  private static final int SCM_CREDENTIALS = 2;
  private static final int MSG_CMSG_CLOEXEC = 0x40000000;
  private static final int SHUT_RDWR = 2;
  private static final int EINTR = 4;
  private static final int EAGAIN = 11;

  // struct msghdr (LP64): name 0, namelen 8, iov 16, iovlen 24, control 32, controllen 40, flags 48; size 56
  private static final long MSG_NAME = 0;
  private static final long MSG_IOV = 16;
  private static final long MSG_IOVLEN = 24;
  private static final long MSG_CONTROL = 32;
  private static final long MSG_CONTROLLEN = 40;
  private static final long MSGHDR_SIZE = 56;
  private static final long CMSG_HEADER = 16; // cmsg_len (8), cmsg_level (4), cmsg_type (4)
  private static final int CONTROL_BYTES = 512;

  private final Linker linker = Linker.nativeLinker();
  private final StructLayout captureLayout = Linker.Option.captureStateLayout();
  private final VarHandle errnoHandle = captureLayout.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private final MethodHandle socket;
  private final MethodHandle bind;
  private final MethodHandle setsockopt;
  private final MethodHandle recvmsg;
  private final MethodHandle shutdown;
  private final MethodHandle close;

  private FfmNotifySockets() {
    Linker.Option errno = Linker.Option.captureCallState("errno");
    socket = handle("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), errno);
    bind = handle("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), errno);
    setsockopt = handle("setsockopt", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), errno);
    recvmsg = handle("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), errno);
    shutdown = handle("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), errno);
    close = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), errno);
  }

  private MethodHandle handle(String name, FunctionDescriptor d, Linker.Option errno) {
    MemorySegment symbol = linker.defaultLookup().find(name)
        .orElseThrow(() -> new UnsupportedOperationException("libc has no " + name));
    return linker.downcallHandle(symbol, d, errno);
  }

  /** The factory, or null where the struct layouts above do not hold (not 64-bit Linux on x86-64 or AArch64). */
  public static NotifySocketFactory create() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "");
    if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
      return null;
    }
    try {
      return new FfmNotifySockets();
    } catch (RuntimeException | LinkageError e) {
      log.debug("FFM notify sockets unavailable: {}", e.toString());
      return null;
    }
  }

  @Override
  public boolean knowsSenders() {
    return true;
  }

  @Override
  public String toString() {
    return "ChildNotifySockets[FFM recvmsg, sender pid from SCM_CREDENTIALS]";
  }

  @Override
  public NotifySocket bind(Path path, NotifyReceiver receiver) throws IOException {
    byte[] p = path.toString().getBytes(StandardCharsets.UTF_8);
    if (p.length > 107) {
      throw new IOException("socket path " + path + " is longer than 107 bytes");
    }
    int fd;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(captureLayout);
      fd = (int) socket.invokeExact(state, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      check(fd, state, "socket");
      try {
        MemorySegment one = arena.allocate(JAVA_INT);
        one.set(JAVA_INT, 0, 1);
        check((int) setsockopt.invokeExact(state, fd, SOL_SOCKET, SO_PASSCRED, one, 4), state, "setsockopt(SO_PASSCRED)");
        MemorySegment timeout = arena.allocate(16, 8); // struct timeval: 0 s, 500000 us (to notice close)
        timeout.set(JAVA_LONG, 0, 0L);
        timeout.set(JAVA_LONG, 8, 500_000L);
        check((int) setsockopt.invokeExact(state, fd, SOL_SOCKET, SO_RCVTIMEO, timeout, 16), state, "setsockopt(SO_RCVTIMEO)");
        MemorySegment addr = arena.allocate(110, 2); // struct sockaddr_un
        addr.set(JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(p, 0, addr, JAVA_BYTE, 2, p.length);
        check((int) bind.invokeExact(state, fd, addr, 2 + p.length + 1), state, "bind " + path);
        ChildNotifySockets.restrict(path);
      } catch (IOException | RuntimeException e) {
        closeFd(fd);
        throw e;
      }
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("binding " + path + ": " + t, t);
    }
    Receiver r = new Receiver(path, fd, receiver);
    r.thread.start();
    return r;
  }

  private void check(int result, MemorySegment state, String what) throws IOException {
    if (result < 0) {
      throw new IOException(what + " failed: errno " + (int) errnoHandle.get(state, 0L));
    }
  }

  private void closeFd(int fd) {
    try (Arena arena = Arena.ofConfined()) {
      int ignored = (int) close.invokeExact(arena.allocate(captureLayout), fd);
    } catch (Throwable t) {
      log.debug("close({}): {}", fd, t.toString());
    }
  }

  @FunctionalInterface
  private interface ControlMessage {
    void at(int type, long offset, long length);
  }

  private final class Receiver implements NotifySocket {
    private final Path path;
    private final int fd;
    private final Thread thread;
    private volatile boolean closed;

    Receiver(Path path, int fd, NotifyReceiver receiver) {
      this.path = path;
      this.fd = fd;
      this.thread = new Thread(() -> loop(receiver), "notify " + path.getFileName());
      this.thread.setDaemon(true);
    }

    private void loop(NotifyReceiver receiver) {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment state = arena.allocate(captureLayout);
        MemorySegment data = arena.allocate(ChildNotifySockets.MAX_DATAGRAM);
        MemorySegment iov = arena.allocate(16, 8);
        iov.set(ADDRESS, 0, data);
        iov.set(JAVA_LONG, 8, data.byteSize());
        MemorySegment control = arena.allocate(CONTROL_BYTES, 8);
        MemorySegment msg = arena.allocate(MSGHDR_SIZE, 8);
        while (!closed) {
          msg.fill((byte) 0);
          msg.set(ADDRESS, MSG_NAME, MemorySegment.NULL);
          msg.set(ADDRESS, MSG_IOV, iov);
          msg.set(JAVA_LONG, MSG_IOVLEN, 1L);
          msg.set(ADDRESS, MSG_CONTROL, control);
          msg.set(JAVA_LONG, MSG_CONTROLLEN, (long) CONTROL_BYTES);
          long n = (long) recvmsg.invokeExact(state, fd, msg, MSG_CMSG_CLOEXEC);
          if (n < 0) {
            int errno = (int) errnoHandle.get(state, 0L);
            if (errno == EAGAIN || errno == EINTR) {
              continue;
            }
            if (!closed) {
              log.warn("notify socket {} failed: errno {}; messages on it are lost until the supervisor restarts", path, errno);
            }
            return;
          }
          if (closed) {
            return;
          }
          long controlLength = msg.get(JAVA_LONG, MSG_CONTROLLEN);
          OptionalLong pid = senderPid(control, controlLength);
          // the sender's group now, while a sender waiting on its BARRIER descriptor is still alive
          OptionalLong pgid = pid.isPresent() ? dev.supervisor.persist.ProcessSignature.processGroup(pid.getAsLong())
              : OptionalLong.empty();
          closeDescriptors(control, controlLength);
          byte[] bytes = data.asSlice(0, n).toArray(JAVA_BYTE);
          try {
            receiver.received(pid, pgid, new String(bytes, StandardCharsets.UTF_8));
          } catch (RuntimeException e) {
            log.error("handling a notify message on {} failed", path, e);
          }
        }
      } catch (Throwable t) {
        log.error("notify socket {} stopped", path, t);
      } finally {
        closeFd(fd);
      }
    }

    /** The sender's pid from SCM_CREDENTIALS. */
    private OptionalLong senderPid(MemorySegment control, long length) {
      OptionalLong[] pid = {OptionalLong.empty()};
      eachMessage(control, length, (type, off, len) -> {
        if (type == SCM_CREDENTIALS && len >= CMSG_HEADER + 12) {
          pid[0] = OptionalLong.of(control.get(JAVA_INT, off + CMSG_HEADER));
        }
      });
      return pid[0];
    }

    /** Closes every descriptor from SCM_RIGHTS (BARRIER=1 waits for its close). */
    private void closeDescriptors(MemorySegment control, long length) {
      eachMessage(control, length, (type, off, len) -> {
        if (type == SCM_RIGHTS) {
          for (long i = off + CMSG_HEADER; i + 4 <= off + len; i += 4) {
            closeFd(control.get(JAVA_INT, i));
          }
        }
      });
    }

    private void eachMessage(MemorySegment control, long length, ControlMessage each) {
      long off = 0;
      while (off + CMSG_HEADER <= length) {
        long len = control.get(JAVA_LONG, off);
        if (len < CMSG_HEADER || off + len > length) {
          break;
        }
        if (control.get(JAVA_INT, off + 8) == SOL_SOCKET) {
          each.at(control.get(JAVA_INT, off + 12), off, len);
        }
        off += (len + 7) & ~7L;
      }
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      try (Arena arena = Arena.ofConfined()) {
        int ignored = (int) shutdown.invokeExact(arena.allocate(captureLayout), fd, SHUT_RDWR); // wakes the receiver, which closes fd
      } catch (Throwable t) {
        log.debug("shutdown({}): {}", fd, t.toString());
      }
      try {
        Files.deleteIfExists(path);
      } catch (IOException e) {
        log.debug("removing {}: {}", path, e.toString());
      }
    }
  }
}
