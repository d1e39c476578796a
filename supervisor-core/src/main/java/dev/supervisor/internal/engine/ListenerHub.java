package dev.supervisor.internal.engine;

import dev.supervisor.Registration;
import dev.supervisor.SupervisorListener;
import dev.supervisor.event.SupervisorEvent;
import dev.supervisor.internal.SerialExecutor;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;

/**
 * The listeners, each behind a {@link SerialExecutor} of its own: events reach a listener in the
 * order they were emitted, one at a time, on the executor it was registered with. Emitting only
 * queues, from any thread; a listener's exception is logged by its executor and never reaches
 * the emitter. Threadsafe.
 */
final class ListenerHub {
  private record Entry(SupervisorListener listener, SerialExecutor executor) {}

  private final CopyOnWriteArrayList<Entry> entries = new CopyOnWriteArrayList<>();

  /** Registers {@code listener} on {@code executor}; the registration removes it. */
  Registration add(SupervisorListener listener, Executor executor) {
    Entry e = new Entry(Objects.requireNonNull(listener, "listener"), new SerialExecutor(Objects.requireNonNull(executor, "executor")));
    entries.add(e);
    return () -> entries.remove(e);
  }

  void emit(SupervisorEvent event) {
    for (Entry e : entries) {
      e.executor().execute(() -> e.listener().onEvent(event));
    }
  }
}
