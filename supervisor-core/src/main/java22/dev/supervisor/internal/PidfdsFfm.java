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
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exits through pidfds (JDK 22+, Linux 5.3+): {@code pidfd_open} per process, one {@code epoll}
 * set, one thread in {@code epoll_wait} ({@code supervisor-exit-watch}). A pidfd becomes readable
 * when its process exits; the watch then reaps it with {@code waitid(P_PIDFD)} if it is this JVM's
 * child, closes the pidfd and runs the callback. Each watch has a key of its own in the event's
 * data, so a stale event for a pidfd closed (and its number reused) meanwhile is ignored. Loaded by
 * {@link ExitWatch} only where the JDK has the API; refuses to load on a kernel without
 * {@code waitid(P_PIDFD)} (before 5.4).
 */
final class PidfdsFfm implements ExitWatch.Pidfds {
  private static final Logger log = LoggerFactory.getLogger(ExitWatch.class);
  private static final long SYS_PIDFD_OPEN = 434; // the same number on every architecture
  private static final int EPOLL_CLOEXEC = 02000000, EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLLIN = 1, EINTR = 4, ESRCH = 3, EBADF = 9;
  private static final int P_PIDFD = 3, WEXITED = 4, WNOHANG = 1;
  /** siginfo_t: 128 bytes; si_code at 8, si_pid at 16, si_status at 24 (64-bit Linux). */
  private static final long SIGINFO_SIZE = 128, SI_CODE = 8, SI_PID = 16, SI_STATUS = 24;
  /** struct epoll_event: packed on x86_64 (12 bytes), naturally aligned elsewhere (16). */
  private static final boolean PACKED = System.getProperty("os.arch", "").matches("amd64|x86_64");
  private static final long EVENT_SIZE = PACKED ? 12 : 16;
  private static final long DATA_OFFSET = PACKED ? 4 : 8;
  private static final int BATCH = 64;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");
  private static final MethodHandle SYSCALL = handle("syscall",
      FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1), CAPTURE);
  private static final MethodHandle EPOLL_CREATE1 = handle("epoll_create1", FunctionDescriptor.of(JAVA_INT, JAVA_INT), CAPTURE);
  private static final MethodHandle EPOLL_CTL = handle("epoll_ctl",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), CAPTURE);
  private static final MethodHandle EPOLL_WAIT = handle("epoll_wait",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), CAPTURE);
  private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final MethodHandle WAITID = handle("waitid",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), CAPTURE);

  /** A watch: {@code onGone} for an adopted process, {@code reaped} for a child of this JVM. */
  private record Entry(int fd, long pid, Runnable onGone, ExitWatch.Reaped reaped) {}

  private final int epfd;
  private final Map<Long, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicLong keys = new AtomicLong();
  /** Reap watches out of the set until a deadline (nanoTime): readable but not yet waitable. Watch thread only. */
  private final Map<Long, Long> deferred = new java.util.HashMap<>();
  private static final long DEFER_MILLIS = 50;

  PidfdsFfm() throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int fd = (int) EPOLL_CREATE1.invokeExact(state, EPOLL_CLOEXEC);
      if (fd < 0) {
        throw new IOException("epoll_create1 failed: errno " + errno(state));
      }
      epfd = fd;
      // waitid(P_PIDFD) came in Linux 5.4: an older kernel says EINVAL for the idtype, a newer one EBADF for the fd
      MemorySegment info = arena.allocate(SIGINFO_SIZE, 8);
      int r = (int) WAITID.invokeExact(state, P_PIDFD, Integer.MAX_VALUE, info, WEXITED | WNOHANG); // no such fd
      if (r == 0 || errno(state) != EBADF) {
        int ignored = (int) CLOSE.invokeExact(fd);
        throw new IOException("this kernel has no waitid(P_PIDFD) (Linux 5.4+): errno " + errno(state));
      }
      // pidfd_open of ourselves, into the set and out: a seccomp profile that refuses it (older container runtimes) shows here
      int self = (int) (long) SYSCALL.invokeExact(state, SYS_PIDFD_OPEN, ProcessHandle.current().pid(), 0L);
      if (self < 0) {
        int errno = errno(state);
        int ignored = (int) CLOSE.invokeExact(fd);
        throw new IOException("pidfd_open is refused here (errno " + errno + "; Linux 5.3+, and a seccomp profile that allows it)");
      }
      MemorySegment probe = arena.allocate(EVENT_SIZE, 8);
      probe.set(JAVA_INT_UNALIGNED, 0, EPOLLIN);
      int added = (int) EPOLL_CTL.invokeExact(state, fd, EPOLL_CTL_ADD, self, probe);
      int addErrno = errno(state);
      int closedSelf = (int) CLOSE.invokeExact(self);
      if (added != 0) {
        int ignored = (int) CLOSE.invokeExact(fd);
        throw new IOException("a pidfd cannot be watched by epoll here: errno " + addErrno);
      }
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
    Thread t = new Thread(this::loop, "supervisor-exit-watch");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public ExitWatch.Watch watch(long pid, Runnable onGone) throws IOException {
    long key = add(pid, onGone, null);
    return () -> end(key);
  }

  @Override
  public void reap(long pid, ExitWatch.Reaped onExit) throws IOException {
    add(pid, null, onExit);
  }

  private long add(long pid, Runnable onGone, ExitWatch.Reaped reaped) throws IOException {
    long key = keys.incrementAndGet();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int fd = (int) (long) SYSCALL.invokeExact(state, SYS_PIDFD_OPEN, pid, 0L);
      if (fd < 0) {
        int errno = errno(state);
        if (errno == ESRCH) {
          throw new ExitWatch.Gone("process " + pid + " is gone");
        }
        throw new IOException("pidfd_open(" + pid + ") failed: errno " + errno);
      }
      entries.put(key, new Entry(fd, pid, onGone, reaped));
      MemorySegment event = arena.allocate(EVENT_SIZE, 8);
      event.set(JAVA_INT_UNALIGNED, 0, EPOLLIN);
      event.set(JAVA_LONG_UNALIGNED, DATA_OFFSET, key);
      int r = (int) EPOLL_CTL.invokeExact(state, epfd, EPOLL_CTL_ADD, fd, event);
      if (r != 0) {
        int errno = errno(state);
        end(key);
        throw new IOException("epoll_ctl(ADD) of the pidfd of " + pid + " failed: errno " + errno);
      }
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
    return key;
  }

  /** Removes the watch and closes its pidfd (which takes it out of the epoll set); true for whoever removed it. */
  private Entry end(long key) {
    Entry e = entries.remove(key);
    if (e != null) {
      try {
        int ignored = (int) CLOSE.invokeExact(e.fd());
      } catch (Throwable t) {
        log.debug("close of pidfd {}: {}", e.fd(), t.toString());
      }
    }
    return e;
  }

  private void loop() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      MemorySegment events = arena.allocate(EVENT_SIZE * BATCH, 8);
      MemorySegment info = arena.allocate(SIGINFO_SIZE, 8);
      MemorySegment event = arena.allocate(EVENT_SIZE, 8);
      boolean failing = false;
      while (true) {
        try {
          rearm(state, event);
          int n = (int) EPOLL_WAIT.invokeExact(state, epfd, events, BATCH, deferred.isEmpty() ? -1 : (int) DEFER_MILLIS);
          if (n < 0) {
            int errno = errno(state);
            if (errno != EINTR) {
              if (!failing) { // said once per episode; tried again each second
                log.error("epoll_wait failed: errno {}; children's exits are seen late until it works again", errno);
                failing = true;
              }
              java.util.concurrent.locks.LockSupport.parkNanos(1_000_000_000L);
            }
            continue;
          }
          failing = false;
          for (int i = 0; i < n; i++) {
            handle(events.get(JAVA_LONG_UNALIGNED, i * EVENT_SIZE + DATA_OFFSET), state, info);
          }
        } catch (Throwable t) { // never the end of the thread: every child's exit depends on it
          log.error("the exit watch failed (it goes on)", t);
          java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
        }
      }
    }
  }

  /** One readable pidfd: reaps our child (or sees an adopted process gone), closes it, runs the callback. */
  private void handle(long key, MemorySegment state, MemorySegment info) throws Throwable {
    Entry e = entries.get(key);
    if (e == null) {
      return;
    }
    int code = 0, status = 0;
    if (e.reaped() != null) { // our child: read its status, which reaps it, while the pidfd is still open
      info.fill((byte) 0);
      int r = (int) WAITID.invokeExact(state, P_PIDFD, e.fd(), info, WEXITED | WNOHANG);
      if (r == 0 && info.get(JAVA_INT, SI_PID) == 0) {
        // readable, yet not waitable: a tracer holds it at its exit. Out of the set for a while, so the loop does not spin.
        int ignored = (int) EPOLL_CTL.invokeExact(state, epfd, EPOLL_CTL_DEL, e.fd(), MemorySegment.NULL);
        deferred.put(key, System.nanoTime() + DEFER_MILLIS * 1_000_000L);
        return;
      }
      code = r == 0 ? info.get(JAVA_INT, SI_CODE) : -errno(state);
      status = r == 0 ? info.get(JAVA_INT, SI_STATUS) : 0;
    }
    if (end(key) == null) {
      return;
    }
    try {
      if (e.reaped() != null) {
        e.reaped().exited(code, status);
      } else {
        e.onGone().run();
      }
    } catch (Throwable ex) { // the other watches depend on this thread
      log.error("handling the exit of process {} failed", e.pid(), ex);
    }
  }

  /** Puts the deferred pidfds whose time has come back into the set. Watch thread only. */
  private void rearm(MemorySegment state, MemorySegment event) throws Throwable {
    if (deferred.isEmpty()) {
      return;
    }
    long now = System.nanoTime();
    for (java.util.Iterator<Map.Entry<Long, Long>> it = deferred.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, Long> d = it.next();
      if (now - d.getValue() < 0) {
        continue;
      }
      it.remove();
      Entry e = entries.get(d.getKey());
      if (e != null) {
        event.set(JAVA_INT_UNALIGNED, 0, EPOLLIN);
        event.set(JAVA_LONG_UNALIGNED, DATA_OFFSET, d.getKey());
        int ignored = (int) EPOLL_CTL.invokeExact(state, epfd, EPOLL_CTL_ADD, e.fd(), event);
      }
    }
  }

  private static MethodHandle handle(String name, FunctionDescriptor d, Linker.Option... options) {
    MemorySegment addr = LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    return LINKER.downcallHandle(addr, d, options);
  }

  private static int errno(MemorySegment state) {
    return (int) ERRNO.get(state, 0L);
  }
}
