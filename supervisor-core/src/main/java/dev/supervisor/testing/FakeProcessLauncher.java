package dev.supervisor.testing;

import dev.supervisor.ChildSpec;
import dev.supervisor.ExitStatus;
import dev.supervisor.persist.ProcessSignature;
import dev.supervisor.spi.LaunchRequest;
import dev.supervisor.spi.LaunchedProcess;
import dev.supervisor.spi.ProcessLauncher;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Launches no process: each launch is a {@link FakeProcess} that lives until the test ends it
 * ({@link FakeProcess#exit(int)}, {@link FakeProcess#die(String)}) or the supervisor signals it
 * (it exits on the stop signal unless told to ignore it; SIGKILL always ends it). Pass it to
 * {@code Supervisor.Builder.processLauncher(...)} to test a supervision tree (strategies, start
 * order, restart policies, the storm breaker) in milliseconds. Pids start at 5,000,000, above
 * any Linux pid, so nothing real is ever signalled. Threadsafe.
 *
 * <pre>{@code
 * FakeProcessLauncher fake = new FakeProcessLauncher();
 * Supervisor s = Supervisor.builder(tmp).processLauncher(fake).child(web).child(db).build();
 * s.startAsync().awaitHealthy(Duration.ofSeconds(1));
 * fake.current("db").exit(3);                                    // db crashes
 * await().until(() -> fake.launches("db") == 2);                 // and is started again
 * }</pre>
 */
public final class FakeProcessLauncher implements ProcessLauncher {
  private static final AtomicLong PIDS = new AtomicLong(5_000_000);
  private static final Map<String, Integer> SIGNALS = Map.of("HUP", 1, "INT", 2, "QUIT", 3, "KILL", 9, "USR1", 10, "USR2", 12,
      "TERM", 15);

  private final Map<String, List<FakeProcess>> launched = new ConcurrentHashMap<>();
  private final Map<String, String> failing = new ConcurrentHashMap<>();
  private final Map<String, Boolean> ignoringStop = new ConcurrentHashMap<>();

  /** Fake processes run nothing, so there is nothing to restrict: every privilege counts as enforced. */
  @Override
  public List<String> unenforced(ChildSpec spec) {
    return List.of();
  }

  @Override
  public String layer() {
    return "fake (test kit)";
  }

  @Override
  public LaunchedProcess launch(LaunchRequest request) throws IOException {
    String name = request.spec().name();
    String failure = failing.get(name);
    if (failure != null) {
      throw new IOException(failure);
    }
    FakeProcess p = new FakeProcess(PIDS.incrementAndGet(), request, ignoringStop.getOrDefault(name, false));
    launched.computeIfAbsent(name, k -> new CopyOnWriteArrayList<>()).add(p);
    return p;
  }

  /**
   * A fake process this launcher (in this JVM) launched for a previous supervisor on the same
   * home, still alive: recovery adopts it (with {@code OrphanPolicy.ADOPT}, or after a hand-over),
   * so the test kit exercises recovery without real processes. Its exit code is seen, as for a
   * launched one.
   */
  @Override
  public Optional<LaunchedProcess> adopt(ProcessSignature process, Optional<String> cgroup) {
    for (List<FakeProcess> runs : launched.values()) {
      for (FakeProcess p : runs) {
        if (p.pid == process.pid() && p.isAlive()) {
          p.adoptions.incrementAndGet();
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  /** The latest process of {@code child}. @throws IllegalStateException if it was never launched */
  public FakeProcess current(String child) {
    List<FakeProcess> l = launched.get(child);
    if (l == null || l.isEmpty()) {
      throw new IllegalStateException("child '" + child + "' was never launched");
    }
    return l.get(l.size() - 1);
  }

  /** Every process of {@code child}, oldest first. */
  public List<FakeProcess> processes(String child) {
    return List.copyOf(launched.getOrDefault(child, List.of()));
  }

  /** How many times {@code child} was launched. */
  public int launches(String child) {
    return launched.getOrDefault(child, List.of()).size();
  }

  /** Launches of {@code child} fail with {@code reason} (like a missing executable) until {@link #allowStarts}. */
  public FakeProcessLauncher failStarts(String child, String reason) {
    failing.put(child, reason);
    return this;
  }

  public FakeProcessLauncher allowStarts(String child) {
    failing.remove(child);
    return this;
  }

  /** Processes of {@code child} launched from now on ignore every signal but KILL. */
  public FakeProcessLauncher ignoreStopSignal(String child) {
    ignoringStop.put(child, true);
    return this;
  }

  /** A fake process: alive until it exits. */
  public static final class FakeProcess implements LaunchedProcess {
    private final long pid;
    private final LaunchRequest request;
    private final boolean ignoresStop;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final List<String> signals = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger adoptions = new java.util.concurrent.atomic.AtomicInteger();

    FakeProcess(long pid, LaunchRequest request, boolean ignoresStop) {
      this.pid = pid;
      this.request = request;
      this.ignoresStop = ignoresStop;
    }

    /** It exits with {@code code}. No effect if it has already exited. */
    public void exit(int code) {
      exit.complete(code);
    }

    /** A signal ends it ({@code "KILL"}, {@code "SEGV"}...): exit value 128 + the signal's number. */
    public void die(String signal) {
      exit.complete(128 + number(signal));
    }

    /**
     * It ends without an exit value the launcher could read (its exit future fails with {@code
     * why}): the supervisor records an UNKNOWN exit naming it.
     */
    public void lose(String why) {
      exit.completeExceptionally(new java.io.IOException(why));
    }

    public boolean isAlive() {
      return !exit.isDone();
    }

    /** How it ended, once it has. */
    public Optional<ExitStatus> exitStatus() {
      if (exit.isCompletedExceptionally()) {
        return Optional.of(ExitStatus.unknown("exit not observed"));
      }
      return exit.isDone() ? Optional.of(ExitStatus.fromExitValue(exit.join())) : Optional.empty();
    }

    /** Signals the supervisor sent to its group, in order. */
    public List<String> signals() {
      return List.copyOf(signals);
    }

    /** What it was launched with (spec, run id, environment). */
    public LaunchRequest request() {
      return request;
    }

    @Override
    public long pid() {
      return pid;
    }

    @Override
    public CompletableFuture<Integer> onExit() {
      return exit.copy();
    }

    @Override
    public void signalGroup(String signal) {
      signals.add(signal);
      if (signal.equals("KILL") || !ignoresStop) {
        die(signal);
      }
    }

    @Override
    public void killGroupAndWait() {
      signalGroup("KILL");
    }

    @Override
    public List<Long> groupMembers() {
      return isAlive() ? List.of(pid) : List.of();
    }

    /** Its pid, with its pid as a start time: what a supervisor saves, and what {@link #adopt} finds again. */
    @Override
    public Optional<ProcessSignature> signature() {
      return Optional.of(new ProcessSignature(pid, pid));
    }

    /** How many times a later supervisor adopted it. */
    public int adoptions() {
      return adoptions.get();
    }

    @Override
    public String toString() {
      return "FakeProcess[" + request.spec().name() + " run " + request.runId() + ", pid " + pid
          + (isAlive() ? ", alive" : ", " + exitStatus().orElseThrow()) + "]";
    }

    private static int number(String signal) {
      Integer n = SIGNALS.get(signal);
      if (n == null) {
        for (int i = 1; i < 32; i++) {
          if (ExitStatus.signalName(i).equals(signal)) {
            return i;
          }
        }
        throw new IllegalArgumentException("unknown signal '" + signal + "'");
      }
      return n;
    }
  }
}
