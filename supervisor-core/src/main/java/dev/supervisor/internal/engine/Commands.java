package dev.supervisor.internal.engine;

import dev.supervisor.Supervisor;
import java.util.function.BooleanSupplier;

/**
 * What the operations that block their caller's thread ({@link Reloader}, {@link
 * RollingRestart}) do through the engine: the operator commands, a task run on the loop, and a
 * wait for a state the loop publishes. Never called on the loop.
 */
interface Commands {
  /** As {@link Supervisor#start(String)}: asynchronous. */
  void start(String name);

  /** As {@link Supervisor#stop(String)}: asynchronous. */
  void stop(String name);

  /** As {@link Supervisor#restart(String)}: asynchronous. */
  void restart(String name);

  /**
   * Runs {@code task} on the loop and waits for it (a reload's step: the messages say so).
   *
   * @throws IllegalStateException if the supervisor has ended, or the task failed
   */
  void onLoop(Runnable task);

  /**
   * Waits until {@code done} holds, checked again after every published change.
   *
   * @return false if {@code deadlineNanos} ({@link System#nanoTime()}) came first
   */
  boolean awaitUntil(BooleanSupplier done, long deadlineNanos) throws InterruptedException;

  /** The lock under which the child table and the instance counts change. */
  Object monitor();
}
