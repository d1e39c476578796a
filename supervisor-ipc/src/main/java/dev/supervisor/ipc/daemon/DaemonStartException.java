package dev.supervisor.ipc.daemon;

/** The supervisor could not be started or did not become ready; the message ends with the tail of its log. */
public final class DaemonStartException extends Exception {
  private static final long serialVersionUID = 1L;

  public DaemonStartException(String message) {
    super(message);
  }

  public DaemonStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
