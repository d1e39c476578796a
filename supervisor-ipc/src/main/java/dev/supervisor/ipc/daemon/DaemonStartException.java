package dev.supervisor.ipc.daemon;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * The supervisor could not be started, did not become ready, or holds its home without
 * answering; {@link #kind()} says which, and whether a supervisor is left running. The message
 * of a start that failed ends with the tail of its log.
 */
public final class DaemonStartException extends Exception {
  private static final long serialVersionUID = 1L;

  /** What went wrong, and what is left behind. */
  public enum Kind {
    /** It could not be started, or it exited before it was ready: no supervisor is left. */
    FAILED,
    /** It runs but was not ready within the start timeout; it is left running. */
    NOT_READY,
    /** It runs but cannot become ready without an operator (a FATAL child); it is left running. */
    UNHEALTHY,
    /**
     * A live process holds the home's PID lock but does not answer on its control socket within
     * the answer timeout (it is stopped, hung, or its socket is gone); nothing was started.
     */
    NOT_RESPONDING
  }

  private final Kind kind;
  private final long pid;

  public DaemonStartException(String message) {
    this(Kind.FAILED, OptionalLong.empty(), message, null);
  }

  public DaemonStartException(String message, Throwable cause) {
    this(Kind.FAILED, OptionalLong.empty(), message, cause);
  }

  /**
   * @param kind what went wrong
   * @param pid the supervisor concerned, if one was found or started
   */
  public DaemonStartException(Kind kind, OptionalLong pid, String message, Throwable cause) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.pid = Objects.requireNonNull(pid, "pid").orElse(-1);
  }

  public Kind kind() {
    return kind;
  }

  /** The supervisor's pid, when one was found or started (for FAILED, the one that exited). */
  public OptionalLong pid() {
    return pid < 0 ? OptionalLong.empty() : OptionalLong.of(pid);
  }

  /** Whether a supervisor is running after this failure (NOT_READY, UNHEALTHY, NOT_RESPONDING). */
  public boolean leftRunning() {
    return kind != Kind.FAILED;
  }
}
