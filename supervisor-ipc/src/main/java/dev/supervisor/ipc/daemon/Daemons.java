package dev.supervisor.ipc.daemon;

import dev.supervisor.ipc.RpcException;
import dev.supervisor.ipc.control.ControlClient;
import dev.supervisor.persist.OwnerOnly;
import dev.supervisor.persist.PidLock;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the supervisor of a home, starting it in the background when nothing holds the home.
 *
 * <p>The fast path is one {@code ping} on the control socket. A supervisor that holds the home's
 * PID lock but does not answer is never replaced: if it is stopped (SIGSTOP), or its socket
 * accepts connections but stays silent for the answer timeout, or its socket stays missing or
 * refusing that long, this fails at once with {@link DaemonStartException.Kind#NOT_RESPONDING};
 * one that took the lock less than the start timeout ago and has no socket yet is starting and
 * is waited for. Otherwise callers serialize on an exclusive lock on {@code <home>/run/ensure.lock}
 * (threads of one JVM on an in-process lock first, since an fcntl lock is per process), look
 * again, and only the first starts the supervisor: detached with {@code setsid}, its output
 * appended to the spec's log file. It then waits until the supervisor answers and every child
 * is up, or fails with the reason and the tail of the log. The supervisor's own PID lock remains
 * the last guard against two instances.
 */
public final class Daemons {
  private static final Logger log = LoggerFactory.getLogger(Daemons.class);
  private static final ConcurrentHashMap<Path, ReentrantLock> LOCAL = new ConcurrentHashMap<>();
  private static final int TAIL_LINES = 20;

  private Daemons() {}

  /**
   * Returns the running supervisor, or starts it and waits until its children are up.
   *
   * @throws DaemonStartException naming the cause (exited with code N, not ready in time, a
   *     FATAL child, a holder of the home that does not answer) and, for a start, ending with
   *     the last lines of its log; {@link DaemonStartException#kind()} tells them apart
   */
  public static DaemonHandle ensureRunning(DaemonSpec spec) throws DaemonStartException {
    try {
      Optional<DaemonHandle> up = find(spec);
      if (up.isPresent()) {
        return up.get();
      }
      ReentrantLock local = LOCAL.computeIfAbsent(spec.home(), h -> new ReentrantLock());
      local.lock();
      try {
        Path run = spec.controlSocket().getParent();
        OwnerOnly.createDirectories(run); // home too, if new: 0700
        OwnerOnly.createFile(run.resolve("ensure.lock"));
        try (FileChannel ch = FileChannel.open(run.resolve("ensure.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = ch.lock()) {
          up = find(spec);
          if (up.isPresent()) {
            return up.get();
          }
          return start(spec);
        }
      } finally {
        local.unlock();
      }
    } catch (IOException e) {
      throw new DaemonStartException("cannot start the supervisor of " + spec.home() + ": " + e.getMessage(), e);
    }
  }

  /** {@link #ensureRunning(DaemonSpec)} with the defaults of {@link DaemonSpec#of}. */
  public static DaemonHandle ensureDaemons(Path home, List<String> command) throws DaemonStartException {
    return ensureRunning(DaemonSpec.of(home, command));
  }

  /** How a ping went. */
  private enum Ping { ANSWERED, SILENT, ABSENT }

  /**
   * The supervisor of the home, if one holds it and answers (waiting for one that is starting);
   * empty if nothing holds the home.
   *
   * @throws DaemonStartException NOT_RESPONDING if a live holder is stopped or stays silent
   */
  private static Optional<DaemonHandle> find(DaemonSpec spec) throws IOException, DaemonStartException {
    Optional<PidLock.Owner> holder = PidLock.liveOwner(spec.lockFile());
    if (holder.isPresent() && isStopped(holder.get().signature().pid())) {
      throw notResponding(spec, holder.get(), "it is stopped (SIGSTOP or a debugger) and cannot answer");
    }
    long[] pid = {-1};
    Ping first = ping(spec, spec.answerTimeout(), pid);
    if (first == Ping.ANSWERED) {
      return Optional.of(new DaemonHandle(pid[0] > 0 ? pid[0] : holder.map(o -> o.signature().pid()).orElse(-1L),
          spec.controlSocket(), false));
    }
    if (holder.isEmpty()) {
      holder = PidLock.liveOwner(spec.lockFile()); // it may have taken the lock since
      if (holder.isEmpty()) {
        return Optional.empty();
      }
    }
    PidLock.Owner owner = holder.get();
    if (first == Ping.SILENT) {
      throw notResponding(spec, owner, silentWhy(spec, owner));
    }
    // No socket, or nobody listening on it: starting (give it the start timeout from when it took the lock), or its socket
    // is gone (a supervisor binds a deleted socket again within a second or two).
    long deadline = Math.max(System.nanoTime() + spec.answerTimeout().toNanos(), System.nanoTime()
        + java.time.Duration.between(java.time.Instant.now(), owner.startedAt().plus(spec.startTimeout())).toNanos());
    log.info("supervisor pid {} holds {} but does not answer yet; waiting for it", owner.signature().pid(), spec.home());
    while (System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L); // polling another process
      if (!owner.signature().isAlive()) {
        return Optional.empty(); // it exited (a failed start): the caller may start another
      }
      if (isStopped(owner.signature().pid())) {
        throw notResponding(spec, owner, "it is stopped (SIGSTOP or a debugger) and cannot answer");
      }
      long left = deadline - System.nanoTime();
      Ping p = ping(spec, Duration.ofNanos(Math.max(1_000_000L, Math.min(left, spec.answerTimeout().toNanos()))), pid);
      if (p == Ping.ANSWERED) {
        return Optional.of(awaitReady(spec, null, owner.signature().pid()));
      }
      if (p == Ping.SILENT) {
        throw notResponding(spec, owner, silentWhy(spec, owner));
      }
    }
    throw notResponding(spec, owner, "its control socket " + spec.controlSocket()
        + (Files.exists(spec.controlSocket(), java.nio.file.LinkOption.NOFOLLOW_LINKS) ? " refuses connections" : " is missing")
        + " and did not come back within " + spec.answerTimeout().toMillis() + " ms");
  }

  /** Why a holder whose socket accepted but gave no answer is silent: stopped since it was last looked at, or hung. */
  private static String silentWhy(DaemonSpec spec, PidLock.Owner owner) {
    return isStopped(owner.signature().pid()) ? "it is stopped (SIGSTOP or a debugger) and cannot answer"
        : "its control socket accepts connections but did not answer within " + spec.answerTimeout().toMillis()
            + " ms (hung or overloaded)";
  }

  private static DaemonStartException notResponding(DaemonSpec spec, PidLock.Owner owner, String why) {
    long pid = owner.signature().pid();
    return new DaemonStartException(DaemonStartException.Kind.NOT_RESPONDING, java.util.OptionalLong.of(pid),
        "the supervisor (pid " + pid + ") holds " + spec.home() + " but does not answer: " + why
            + "; nothing was started (a second one would fight it for its children)", null);
  }

  /** Whether {@code pid} is stopped (state T, or t when traced). */
  static boolean isStopped(long pid) {
    return dev.supervisor.persist.ProcessSignature.isStopped(pid);
  }

  private static Ping ping(DaemonSpec spec, Duration timeout, long[] pid) {
    if (!Files.exists(spec.controlSocket(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return Ping.ABSENT;
    }
    try {
      pid[0] = ControlClient.of(spec.controlSocket(), timeout).ping().pid();
      return Ping.ANSWERED;
    } catch (RpcException e) {
      return Ping.ANSWERED; // BUSY or a refusal: a live server answered; the caller's own call gets the details
    } catch (java.net.SocketTimeoutException e) {
      return Ping.SILENT;
    } catch (IOException e) {
      return Ping.ABSENT;
    }
  }

  private static DaemonHandle start(DaemonSpec spec) throws IOException, DaemonStartException {
    OwnerOnly.createDirectories(spec.logFile().toAbsolutePath().getParent());
    OwnerOnly.createFile(spec.logFile()); // 0600 before the supervisor appends to it (Redirect.appendTo uses the umask)
    List<String> cmd = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      cmd.add("/usr/bin/setsid");
    } else {
      log.warn("setsid not found: the supervisor starts in the caller's session and may receive its terminal's signals");
    }
    cmd.addAll(spec.command());
    String stamp = "\n--- " + java.time.Instant.now() + " starting supervisor: " + String.join(" ", spec.command()) + "\n";
    Files.writeString(spec.logFile(), stamp, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    Process p;
    try {
      p = new ProcessBuilder(cmd)
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(spec.logFile().toFile()))
          .start();
    } catch (IOException e) {
      throw new DaemonStartException("cannot run " + spec.command() + ": " + e.getMessage() + tail(spec));
    }
    log.info("started supervisor pid {} for {}", p.pid(), spec.home());
    return awaitReady(spec, p, p.pid());
  }

  private static DaemonHandle awaitReady(DaemonSpec spec, Process p, long pid) throws DaemonStartException {
    long deadline = System.nanoTime() + spec.startTimeout().toNanos();
    ControlClient client = ControlClient.of(spec.controlSocket(), spec.answerTimeout());
    java.util.OptionalLong thePid = java.util.OptionalLong.of(pid);
    String lastReason = "its control socket " + spec.controlSocket() + " never answered";
    while (System.nanoTime() < deadline) {
      if (p != null && !p.isAlive()) {
        throw new DaemonStartException(DaemonStartException.Kind.FAILED, thePid, "the supervisor (pid " + pid + ") exited with code "
            + p.exitValue() + " before it was ready" + tail(spec), null);
      }
      if (p == null && !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        throw new DaemonStartException(DaemonStartException.Kind.FAILED, thePid, "the supervisor (pid " + pid + ") holding "
            + spec.home() + " exited before it answered" + tail(spec), null);
      }
      try {
        ControlClient.Health h = client.health();
        if (h.healthy()) {
          return new DaemonHandle(client.ping().pid(), spec.controlSocket(), p != null);
        }
        lastReason = h.reason();
        if (h.fatal()) {
          throw new DaemonStartException(DaemonStartException.Kind.UNHEALTHY, thePid, "the supervisor (pid " + pid
              + ") started but cannot become ready: " + h.reason() + "; it is left running" + tail(spec), null);
        }
      } catch (IOException | RpcException e) {
        // not answering yet
      }
      java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L); // polling another process
    }
    throw new DaemonStartException(DaemonStartException.Kind.NOT_READY, thePid, "the supervisor (pid " + pid + ") was not ready within "
        + spec.startTimeout().toMillis() + " ms: " + lastReason + "; it is left running" + tail(spec), null);
  }

  /** {@code "\n--- last N lines of FILE ---\n..."}. */
  static String tail(DaemonSpec spec) {
    try {
      List<String> last = dev.supervisor.LogTail.lastLines(spec.logFile(), TAIL_LINES);
      return "\n--- last " + last.size() + " lines of " + spec.logFile() + " ---\n" + String.join("\n", last);
    } catch (IOException | RuntimeException e) {
      return "\n(cannot read " + spec.logFile() + ": " + e + ")";
    }
  }
}
