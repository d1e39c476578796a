package dev.supervisor.internal.engine;

/** Why a live run is being terminated. */
enum StopPurpose {
  OPERATOR_STOP(true),
  OPERATOR_RESTART(true),
  STRATEGY(true),
  SHUTDOWN(true),
  /** A failed health check or readiness timeout: the exit is a failure. */
  UNHEALTHY(false);

  final boolean requested;

  StopPurpose(boolean requested) {
    this.requested = requested;
  }
}
