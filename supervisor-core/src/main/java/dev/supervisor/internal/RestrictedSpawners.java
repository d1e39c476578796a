package dev.supervisor.internal;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One long-lived spawner thread per distinct Landlock profile. Landlock and {@code no_new_privs}
 * apply to the calling thread and what it creates afterwards, and a restricted thread stays
 * restricted, so each profile gets its own platform thread, restricted once, on which every child
 * of that profile is spawned. The threads never retire: {@code PR_SET_PDEATHSIG} fires when the
 * spawning thread ends, so a child must outlive nothing but the JVM.
 */
public final class RestrictedSpawners {
  /** What a spawner thread is restricted to. */
  public record Profile(boolean noNewPrivs, boolean restrictFs, boolean denyNet, List<Landlock.Rule> rules) {
    public Profile {
      rules = List.copyOf(rules);
    }
  }

  private static final Map<Profile, Spawner> SPAWNERS = new ConcurrentHashMap<>();
  private static final AtomicInteger COUNT = new AtomicInteger();

  private RestrictedSpawners() {}

  /** Runs {@code spawn} on the thread of {@code profile}, restricting it first if it is new. */
  public static <T> T spawn(Profile profile, Callable<T> spawn) throws IOException {
    Spawner s = SPAWNERS.computeIfAbsent(profile, Spawner::new);
    try {
      return s.run(spawn);
    } catch (RestrictionFailed e) {
      if (SPAWNERS.remove(profile, s)) { // a later spawn tries again (a missing path may have been created)
        s.thread.shutdown();
      }
      throw e;
    }
  }

  /** The number of spawner threads made so far (one per profile). */
  public static int threads() {
    return SPAWNERS.size();
  }

  private static final class RestrictionFailed extends IOException {
    RestrictionFailed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private static final class Spawner {
    private final ExecutorService thread;
    private final Future<IOException> restricted;

    Spawner(Profile profile) {
      int n = COUNT.incrementAndGet();
      this.thread = Executors.newSingleThreadExecutor(Threads.named("supervisor-restricted-spawner-" + n, true));
      this.restricted = thread.submit(() -> {
        try {
          Landlock.restrictCurrentThread(profile.noNewPrivs(), profile.restrictFs(), profile.denyNet(), profile.rules());
          return null;
        } catch (IOException e) {
          return e;
        }
      });
    }

    <T> T run(Callable<T> spawn) throws IOException {
      Objects.requireNonNull(spawn);
      try {
        IOException failed = restricted.get();
        if (failed != null) {
          throw new RestrictionFailed("cannot apply the child's permissions: " + failed.getMessage(), failed);
        }
        return thread.submit(spawn).get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while spawning", e);
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof IOException io) {
          throw io;
        }
        throw new IOException(c.getMessage() == null ? c.toString() : c.getMessage(), c);
      }
    }
  }
}
