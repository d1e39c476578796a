package dev.supervisor.ipc;

/** The {@code code} of an error reply: {@code {"type":"error","id":...,"code":"BAD_JSON","message":"..."}}. */
public enum ErrorCode {
  /** The line is not valid JSON (or nested deeper than the server allows). */
  BAD_JSON,
  /** The line is not valid UTF-8. */
  BAD_ENCODING,
  /** Valid JSON, but not a request: not an object, or no string {@code type}. */
  BAD_REQUEST,
  /** The line exceeds the server's limit; the connection is closed after this reply. */
  LINE_TOO_LONG,
  /** The server does not know this {@code type}. */
  UNKNOWN_TYPE,
  /** A field of the request is missing or wrong. */
  INVALID_ARGUMENT,
  /** The peer's uid may not connect, or lacks the role the call needs. */
  FORBIDDEN,
  /** The request names something that does not exist (an unknown child). */
  NOT_FOUND,
  /** The server has no free connection slot; try again. */
  BUSY,
  /** The line did not arrive within the read timeout; the connection is closed. */
  TIMEOUT,
  /** The server cannot do this in its current configuration. */
  UNSUPPORTED,
  /** The handler failed; the server logged the cause. */
  INTERNAL
}
