package dev.supervisor;

/** What happens when a child's privilege controls cannot all be enforced on this host. */
public enum Enforcement {
  /**
   * The default: a control that cannot be enforced (an old kernel, a JDK without the FFM API, a
   * supervisor that is not root) refuses the child when the supervisor is built or the config is
   * loaded, naming what is missing.
   */
  STRICT,
  /**
   * The child starts with what can be enforced; what cannot is logged once at WARN and shown in
   * status ({@code privileges.notEnforced}). Config: {@code "enforce": "best-effort"}.
   */
  BEST_EFFORT
}
