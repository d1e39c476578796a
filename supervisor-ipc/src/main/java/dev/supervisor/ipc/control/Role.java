package dev.supervisor.ipc.control;

/** What a uid may do on the control socket; each role includes the ones before it. */
public enum Role {
  /** {@code ping}, {@code list}, {@code status}, {@code logs}. */
  VIEWER,
  /** And {@code start}, {@code stop}, {@code restart}. */
  OPERATOR,
  /** And {@code shutdown}, {@code reloadConfig}. */
  ADMIN;

  public boolean includes(Role other) {
    return compareTo(other) >= 0;
  }
}
