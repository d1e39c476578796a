package dev.supervisor;

/** What else restarts when one child is restarted by its policy (Erlang/OTP restart strategies). */
public enum Strategy {
  /** Only the child that exited is restarted. The default. */
  ONE_FOR_ONE,
  /** Every other running child is stopped (reverse start order) and all are started again in start order. */
  ONE_FOR_ALL,
  /** The children started after the one that exited are stopped and started again with it, in start order. */
  REST_FOR_ONE
}
