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
 * Finds the supervisor of a home, starting it in the background when nothing answers.
 *
 * <p>The fast path is one {@code ping} on the control socket. Otherwise callers serialize on an
 * exclusive lock on {@code <home>/run/ensure.lock} (threads of one JVM on an in-process lock
 * first, since an fcntl lock is per process), ping again, and only the first starts the
 * supervisor: detached with {@code setsid}, its output appended to the spec's log file. It then
 * waits until the supervisor answers and every child is up, or fails with the reason and the
 * tail of the log. The supervisor's own PID lock remains the last guard against two instances.
 */
public final class Daemons {
  private static final Logger log = LoggerFactory.getLogger(Daemons.class);
  private static final ConcurrentHashMap<Path, ReentrantLock> LOCAL = new ConcurrentHashMap<>();
  private static final int TAIL_LINES = 20;

  private Daemons() {}

  /**
   * Returns the running supervisor, or starts it and waits until its children are up.
   *
   * @throws DaemonStartException naming the cause (exited with code N, not ready in time, hung)
   *     and ending with the last lines of its log
   */
  public static DaemonHandle ensureRunning(DaemonSpec spec) throws DaemonStartException {
    Optional<DaemonHandle> up = ping(spec, Duration.ofSeconds(2));
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
        up = ping(spec, Duration.ofSeconds(2));
        if (up.isPresent()) {
          return up.get();
        }
        return start(spec);
      }
    } catch (IOException e) {
      throw new DaemonStartException("cannot start the supervisor of " + spec.home() + ": " + e.getMessage(), e);
    } finally {
      local.unlock();
    }
  }

  /** {@link #ensureRunning(DaemonSpec)} with the defaults of {@link DaemonSpec#of}. */
  public static DaemonHandle ensureDaemons(Path home, List<String> command) throws DaemonStartException {
    return ensureRunning(DaemonSpec.of(home, command));
  }

  private static Optional<DaemonHandle> ping(DaemonSpec spec, Duration timeout) {
    if (!Files.exists(spec.controlSocket())) {
      return Optional.empty();
    }
    try {
      long pid = ControlClient.of(spec.controlSocket(), timeout).ping().pid();
      return Optional.of(new DaemonHandle(pid, spec.controlSocket(), false));
    } catch (IOException | RpcException e) {
      return Optional.empty();
    }
  }

  private static DaemonHandle start(DaemonSpec spec) throws IOException, DaemonStartException {
    Optional<PidLock.Owner> holder = PidLock.liveOwner(spec.home().resolve("supervisor.pid"));
    if (holder.isPresent()) {
      // A supervisor holds the home but does not answer: starting, or hung. Give it the start timeout.
      long pid = holder.get().signature().pid();
      log.info("supervisor pid {} holds {} but does not answer yet; waiting for it", pid, spec.home());
      return awaitReady(spec, null, pid);
    }
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
    ControlClient client = ControlClient.of(spec.controlSocket(), Duration.ofSeconds(2));
    String lastReason = "its control socket " + spec.controlSocket() + " never answered";
    while (System.nanoTime() < deadline) {
      if (p != null && !p.isAlive()) {
        throw new DaemonStartException("the supervisor (pid " + pid + ") exited with code " + p.exitValue()
            + " before it was ready" + tail(spec));
      }
      if (p == null && !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        throw new DaemonStartException("the supervisor (pid " + pid + ") holding " + spec.home() + " exited before it answered" + tail(spec));
      }
      try {
        ControlClient.Health h = client.health();
        if (h.healthy()) {
          return new DaemonHandle(client.ping().pid(), spec.controlSocket(), p != null);
        }
        lastReason = h.reason();
        if (h.fatal()) {
          throw new DaemonStartException("the supervisor (pid " + pid + ") started but cannot become ready: " + h.reason() + tail(spec));
        }
      } catch (IOException | RpcException e) {
        // not answering yet
      }
      java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L); // polling another process
    }
    throw new DaemonStartException("the supervisor (pid " + pid + ") was not ready within "
        + spec.startTimeout().toMillis() + " ms: " + lastReason + "; it is left running" + tail(spec));
  }

  /** {@code "\n--- last N lines of FILE ---\n..."}. */
  static String tail(DaemonSpec spec) {
    try {
      List<String> last = dev.supervisor.internal.FileTail.lastLines(spec.logFile(), TAIL_LINES);
      return "\n--- last " + last.size() + " lines of " + spec.logFile() + " ---\n" + String.join("\n", last);
    } catch (IOException | RuntimeException e) {
      return "\n(cannot read " + spec.logFile() + ": " + e + ")";
    }
  }
}
