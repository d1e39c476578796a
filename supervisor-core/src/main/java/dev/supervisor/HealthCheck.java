package dev.supervisor;

/**
 * A probe of a running child: used for readiness ({@code RUNNING -> READY}) and for periodic
 * health checks (N failures in a row restart the child as a crash). Runs on a supervisor-owned
 * pool, never on the event thread; it may block, but should answer well within its interval.
 * A thrown exception counts as unhealthy with the exception's message.
 */
@FunctionalInterface
public interface HealthCheck {
  HealthResult check(ChildView child) throws Exception;
}
