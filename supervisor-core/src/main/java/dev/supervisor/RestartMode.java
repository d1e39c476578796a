package dev.supervisor;

/** When an exited child is restarted (Erlang's permanent / transient / temporary). */
public enum RestartMode {
  /** Restart after any exit, clean or not. */
  ALWAYS,
  /** Restart after a non-zero exit or a death by signal; exit code 0 is an intentional stop. The default. */
  ON_FAILURE,
  /** Never restart. */
  NEVER
}
