package dev.supervisor.ipc.daemon;

import dev.supervisor.ipc.control.ControlServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How to find a supervisor and, if none answers, start one.
 *
 * @param home the supervisor's home (its control socket is {@code <home>/run/control.sock})
 * @param command the command that runs the supervisor in the foreground (it must serve the
 *     control socket), started detached in its own session
 * @param startTimeout how long a cold start may take until every child is up
 * @param logFile where the started process's stdout and stderr go (appended)
 * @param answerTimeout how long a running supervisor may take to answer a ping: a supervisor that
 *     holds the home's PID lock but stays silent that long is "not responding", and nothing is
 *     started (one that took the lock less than {@code startTimeout} ago and has no socket yet is
 *     still starting, and gets the start timeout)
 */
public record DaemonSpec(Path home, List<String> command, Duration startTimeout, Path logFile, Duration answerTimeout) {
  public DaemonSpec {
    Objects.requireNonNull(home, "home");
    command = List.copyOf(command);
    if (command.isEmpty()) {
      throw new IllegalArgumentException("command is empty: give the command that runs the supervisor in the foreground");
    }
    if (Objects.requireNonNull(startTimeout, "startTimeout").isNegative() || startTimeout.isZero()) {
      throw new IllegalArgumentException("startTimeout must be positive, got " + startTimeout);
    }
    Objects.requireNonNull(logFile, "logFile");
    if (Objects.requireNonNull(answerTimeout, "answerTimeout").isNegative() || answerTimeout.isZero()) {
      throw new IllegalArgumentException("answerTimeout must be positive, got " + answerTimeout);
    }
  }

  /** Start timeout 30 s, answer timeout 5 s, output to {@code <home>/logs/daemon.log}. */
  public static DaemonSpec of(Path home, List<String> command) {
    Path h = home.toAbsolutePath();
    return new DaemonSpec(h, command, Duration.ofSeconds(30), h.resolve("logs").resolve("daemon.log"), Duration.ofSeconds(5));
  }

  /** @throws IllegalArgumentException if not positive */
  public DaemonSpec withStartTimeout(Duration timeout) {
    return new DaemonSpec(home, command, timeout, logFile, answerTimeout);
  }

  /** @throws IllegalArgumentException if not positive */
  public DaemonSpec withAnswerTimeout(Duration timeout) {
    return new DaemonSpec(home, command, startTimeout, logFile, timeout);
  }

  /** The home's PID lock, {@code <home>/supervisor.pid}. */
  public Path lockFile() {
    return dev.supervisor.persist.PidLock.fileOf(home);
  }

  public Path controlSocket() {
    return ControlServer.socketOf(home);
  }
}
