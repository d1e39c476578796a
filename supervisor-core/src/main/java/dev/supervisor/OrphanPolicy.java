package dev.supervisor;

/** What a starting supervisor does with live children of a crashed predecessor, found through the state store. */
public enum OrphanPolicy {
  /**
   * Stop their process groups (stop signal, grace, SIGKILL) and start them fresh. The default.
   * Children also get a parent-death signal, so most of them are gone already.
   */
  KILL,
  /**
   * Re-attach them: supervise the running process by pid. Their exit code cannot be observed
   * (they are not our children), so their end is recorded as UNKNOWN. Implies no parent-death
   * signal, since the point is that children outlive a supervisor crash.
   */
  ADOPT
}
