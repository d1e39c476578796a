package dev.supervisor.persist;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/** Where a supervisor keeps its {@link PersistedState}. Implementations are threadsafe. */
public interface StateStore {

  /**
   * The last saved state; empty when none was ever saved (or nothing readable is left, which is
   * logged at ERROR).
   *
   * @throws IOException if the state was written by a newer, incompatible version: starting
   *     anyway would lose it
   */
  Optional<PersistedState> load() throws IOException;

  /**
   * Saves {@code state} durably before returning.
   *
   * @throws IOException if it could not be written (disk full, read-only); the previous state is intact
   */
  void save(PersistedState state) throws IOException;

  /**
   * {@code file} written atomically (temp file in the same directory, fsync, rename, fsync of the
   * directory), the previous good file kept as {@code file.bak} and read when {@code file} is
   * missing, empty, truncated or not valid JSON.
   */
  static StateStore atomicJsonFile(Path file) {
    return new AtomicJsonStateStore(file);
  }

  /** Keeps the state in memory only (nothing survives the process). */
  static StateStore inMemory() {
    return new StateStore() {
      private volatile PersistedState state;

      @Override
      public Optional<PersistedState> load() {
        return Optional.ofNullable(state);
      }

      @Override
      public void save(PersistedState s) {
        state = s;
      }

      @Override
      public String toString() {
        return "inMemory()";
      }
    };
  }
}
