package dev.supervisor;

/** The signal sent to a child's process group to ask it to stop; SIGKILL follows after the grace period. */
public enum StopSignal {
  TERM(15),
  INT(2),
  HUP(1),
  QUIT(3),
  USR1(10),
  USR2(12),
  KILL(9);

  private final int number;

  StopSignal(int number) {
    this.number = number;
  }

  /** The Linux signal number. */
  public int number() {
    return number;
  }
}
