package dev.supervisor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Binds the datagram sockets of the systemd notify protocol, one per child that uses it
 * ({@link ChildSpec.Builder#readinessNotify}, {@link ChildSpec.Builder#watchdog},
 * {@link ChildSpec.Builder#notifySocket}). The JDK has no Unix datagram sockets, so the
 * implementation lives in supervisor-ipc ({@code dev.supervisor.ipc.notify.ChildNotifySockets});
 * core only defines the seam. Implementations must close any file descriptors a datagram
 * carries ({@code BARRIER=1}).
 */
public interface NotifySocketFactory {

  /**
   * Binds a datagram socket at {@code path} (mode 0600) and hands every datagram to
   * {@code receiver}, on a thread of the implementation's, until the socket is closed.
   *
   * @throws IOException if it cannot be bound
   */
  NotifySocket bind(Path path, NotifyReceiver receiver) throws IOException;

  /**
   * True when the kernel tells the sender's pid with each datagram, so a message from a process
   * outside the child's process group is refused; false when messages are attributed by the
   * socket they arrive on only.
   */
  boolean knowsSenders();

  /** A bound socket. */
  interface NotifySocket extends AutoCloseable {
    /** Stops receiving and removes the socket file. Idempotent. */
    @Override
    void close();
  }

  /** Receives datagrams; called on the factory's thread. */
  @FunctionalInterface
  interface NotifyReceiver {
    /**
     * One datagram: {@code KEY=VALUE} lines. {@code senderPid} when the kernel told it, and the
     * sender's process group as read from {@code /proc} on receipt (before any descriptor it
     * sent is closed, so a sender waiting on a barrier is still there); empty when the sender
     * had already exited.
     */
    void received(OptionalLong senderPid, OptionalLong senderProcessGroup, String message);
  }
}
