package dev.supervisor.ipc;

import java.util.Objects;

/** An error reply, thrown by handlers to send one and by clients when they receive one. */
public final class RpcException extends Exception {
  private static final long serialVersionUID = 1L;
  private final ErrorCode code;

  public RpcException(ErrorCode code, String message) {
    super(message);
    this.code = Objects.requireNonNull(code, "code");
  }

  public ErrorCode code() {
    return code;
  }

  @Override
  public String toString() {
    return code + ": " + getMessage();
  }
}
