package dev.supervisor;

/** A listener registration; {@link #remove()} stops delivery (events already queued may still arrive). */
@FunctionalInterface
public interface Registration extends AutoCloseable {
  void remove();

  @Override
  default void close() {
    remove();
  }
}
