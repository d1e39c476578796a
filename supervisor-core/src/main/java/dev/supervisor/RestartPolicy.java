package dev.supervisor;

/**
 * Decides whether and when an exited child starts again. Implementations must be pure, fast and
 * free of I/O: they run on the supervisor's event thread. Threadsafe.
 *
 * <p>The built-in {@link StandardRestartPolicy} covers the usual needs:
 * <pre>{@code
 * RestartPolicy.standard()                                   // ON_FAILURE, exponential(1s..30s), reset after 60s, 5 in 60s
 * RestartPolicy.of(RestartMode.ALWAYS, Backoff.fixed(Duration.ZERO)).restartForever()
 * }</pre>
 */
@FunctionalInterface
public interface RestartPolicy {

  /** Decides for the run that just ended ({@code context.lastRun()}). Must not throw. */
  RestartDecision decide(RestartContext context);

  /**
   * ON_FAILURE, {@code Backoff.exponential(1s, 30s)}, backoff reset after 60 s up, give up after
   * 5 restarts in 60 s.
   */
  static StandardRestartPolicy standard() {
    return StandardRestartPolicy.DEFAULT;
  }

  /** The standard policy with another mode and backoff (same reset and give-up defaults). */
  static StandardRestartPolicy of(RestartMode mode, Backoff backoff) {
    return standard().withMode(mode).withBackoff(backoff);
  }

  /** Never restarts: the child is EXITED after any exit. */
  static StandardRestartPolicy never() {
    return standard().withMode(RestartMode.NEVER);
  }
}
