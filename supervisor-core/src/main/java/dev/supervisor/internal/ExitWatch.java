package dev.supervisor.internal;

import java.io.IOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread for the exits of every process the JDK 22+ process layer watches: a pidfd per process
 * ({@code pidfd_open}, Linux 5.3+) in one {@code epoll} set, read by {@code supervisor-exit-watch}
 * ({@code PidfdsFfm}, compiled at release 22). The children it spawned are reaped there with
 * {@code waitid(P_PIDFD)} (Linux 5.4+), which gives their exact status; processes adopted from a
 * previous supervisor, which are not this JVM's children, are only seen gone ({@link AdoptedExits}).
 * Loaded once, when the FFM signals are active ({@link NativeSignals}); absent otherwise.
 */
final class ExitWatch {
  private static final Logger log = LoggerFactory.getLogger(ExitWatch.class);

  /** The pidfd watch (FFM). */
  interface Pidfds {
    /**
     * Runs {@code onGone} on the watch thread once {@code pid} has exited.
     *
     * @throws Gone if there is no such process any more
     * @throws IOException if the kernel gives no pidfd for it
     */
    Watch watch(long pid, Runnable onGone) throws IOException;

    /**
     * Reaps {@code pid}, a child of this JVM that nothing else waits for, once it has exited, and
     * passes its status to {@code onExit} on the watch thread. Never cancelled: the exit of a child
     * must always be read, or it stays a zombie.
     *
     * @throws IOException if the kernel gives no pidfd for it
     */
    void reap(long pid, Reaped onExit) throws IOException;
  }

  /** A child's wait status as {@code waitid} gives it. */
  @FunctionalInterface
  interface Reaped {
    /**
     * @param code {@code si_code}: {@link #CLD_EXITED}, {@link #CLD_KILLED} or {@link #CLD_DUMPED};
     *     {@code -errno} when {@code waitid} failed
     * @param status {@code si_status}: the exit code, or the signal's number
     */
    void exited(int code, int status);
  }

  static final int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;

  /** A watch that can be ended before the exit (a hand-over, a release). Idempotent. */
  interface Watch {
    void cancel();
  }

  /** {@code pidfd_open} found no such process: it is gone already. */
  static final class Gone extends IOException {
    private static final long serialVersionUID = 1L;

    Gone(String message) {
      super(message);
    }
  }

  /**
   * Children spawned by this layer whose status nobody has read yet: from the moment
   * {@code posix_spawn} returns until the watch (or the failure path) reaps them. The orphan reaper
   * leaves these alone, however long the watch takes.
   */
  private static final java.util.Set<Long> PENDING = java.util.concurrent.ConcurrentHashMap.newKeySet();

  static void pending(long pid) {
    PENDING.add(pid);
  }

  static void reaped(long pid) {
    PENDING.remove(pid);
  }

  static boolean isPending(long pid) {
    return PENDING.contains(pid);
  }

  /** Why there is no watch (set while {@link Holder} loads it). */
  private static volatile String why = "";

  private ExitWatch() {}

  /** Loaded once, on first use. */
  private static final class Holder {
    static final Optional<Pidfds> PIDFDS = load();
  }

  private static Optional<Pidfds> load() {
    if (!NativeSignals.active()) {
      why = "the process layer is " + NativeSignals.layer();
      return Optional.empty();
    }
    try {
      return Optional.of((Pidfds) Class.forName("dev.supervisor.internal.PidfdsFfm").getDeclaredConstructor().newInstance());
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : e;
      why = "no pidfd watch: " + cause;
      log.warn("process layer: {}", why);
      return Optional.empty();
    }
  }

  /** The watch, when the FFM layer is active and the kernel gives pidfds and epoll. */
  static Optional<Pidfds> pidfds() {
    return Holder.PIDFDS;
  }

  /** Why {@link #pidfds} is empty. */
  static String whyNot() {
    pidfds();
    return why;
  }
}
