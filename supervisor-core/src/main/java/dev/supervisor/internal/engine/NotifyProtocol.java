package dev.supervisor.internal.engine;

import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.Durations;
import dev.supervisor.event.HealthCheckFailed;
import dev.supervisor.spi.TimerClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One child's side of the notify protocol (systemd's {@code sd_notify}): the variables its
 * process gets, what its datagrams mean ({@code READY=1}, {@code STATUS=}, {@code WATCHDOG=1},
 * {@code WATCHDOG_USEC=}, {@code RELOADING=1}, {@code STOPPING=1}), and the two timers it
 * keeps (the readiness timeout and the watchdog), both on the supervisor's clock. The state
 * machine hears "ready", "not ready", "hung" and "status changed". Loop-confined, but for the
 * socket path, which {@link NotifySockets} sets.
 */
final class NotifyProtocol {
  private static final Logger log = LoggerFactory.getLogger(NotifyProtocol.class);

  private final Engine engine;
  private final ChildRunner child;
  /** The child's notify socket, when it uses the protocol (set before the start). */
  volatile Path socket;
  /** The latest {@code STATUS=} text of the current run. */
  private String statusText;
  private Instant lastWatchdogAt;
  private Duration watchdogInterval;
  private TimerClock.Timer watchdogTimer;
  private TimerClock.Timer readyTimer;
  /** The child said {@code STOPPING=1}: its watchdog is off for the rest of the run. */
  private boolean stoppingNotified;
  private boolean warnedForeignSender;

  NotifyProtocol(Engine engine, ChildRunner child) {
    this.engine = engine;
    this.child = child;
  }

  /** A new run (spawned or adopted): nothing said yet. */
  void newRun() {
    statusText = null;
    stoppingNotified = false;
  }

  /** The child's environment, with {@code NOTIFY_SOCKET} (and {@code WATCHDOG_USEC}) when it uses the protocol. */
  Map<String, String> environment(Map<String, String> env) {
    Path path = socket;
    if (path == null) {
      return env;
    }
    Map<String, String> out = new LinkedHashMap<>(env);
    out.put("NOTIFY_SOCKET", path.toString());
    child.spec().notifySettings().flatMap(ChildSpec.Notify::watchdog)
        .ifPresent(wd -> out.put("WATCHDOG_USEC", Long.toString(wd.toNanos() / 1000)));
    return out;
  }

  /** The run is RUNNING and becomes READY only by {@code READY=1}, within the readiness timeout. */
  void awaitReady() {
    long run = child.runId();
    Duration timeout = child.spec().notifySettings().orElseThrow().readyTimeout();
    readyTimer = engine.schedule(() -> readyMissed(run, timeout), timeout);
  }

  /** The run is up: its watchdog (if it has one) starts counting. */
  void startWatchdog() {
    Optional<Duration> wd = child.spec().notifySettings().flatMap(ChildSpec.Notify::watchdog);
    if (wd.isPresent() && watchdogTimer == null) {
      watchdogInterval = wd.get();
      lastWatchdogAt = engine.now();
      long run = child.runId();
      watchdogTimer = engine.schedule(() -> watchdogCheck(run), watchdogInterval);
    }
  }

  /** The run is stopping or over: its timers end. */
  void cancel() {
    if (watchdogTimer != null) {
      watchdogTimer.cancel();
      watchdogTimer = null;
    }
    if (readyTimer != null) {
      readyTimer.cancel();
      readyTimer = null;
    }
  }

  Optional<String> statusText() {
    return Optional.ofNullable(statusText);
  }

  private boolean current(long run) {
    ChildState s = child.state();
    return run == child.runId() && (s == ChildState.RUNNING || s == ChildState.READY);
  }

  private void readyMissed(long run, Duration timeout) {
    readyTimer = null;
    if (run != child.runId() || child.state() != ChildState.RUNNING) {
      return;
    }
    hung("no READY=1 on its notify socket within " + Durations.format(timeout));
  }

  private void watchdogCheck(long run) {
    watchdogTimer = null;
    if (!current(run) || stoppingNotified) {
      return;
    }
    Instant due = lastWatchdogAt.plus(watchdogInterval);
    Instant now = engine.now();
    if (now.isBefore(due)) {
      watchdogTimer = engine.schedule(() -> watchdogCheck(run), Duration.between(now, due));
      return;
    }
    hung("watchdog: no WATCHDOG=1 within " + Durations.format(watchdogInterval) + " (hung)");
  }

  private void hung(String why) {
    log.warn("child '{}' (run {}): {}; killing it", child.name(), child.runId(), why);
    engine.emit(new HealthCheckFailed(engine.now(), child.name(), child.runId(), 1, 1, why));
    child.unhealthy(why);
  }

  /**
   * A datagram on the child's notify socket. With the sender's pid known, a process outside the
   * child's process group cannot speak for it.
   */
  void received(OptionalLong senderPid, OptionalLong senderPgid, String message) {
    OptionalLong leader = child.livePid();
    if (leader.isEmpty() || !current(child.runId())) {
      return;
    }
    if (senderPid.isPresent() && !fromTheChild(senderPid.getAsLong(), senderPgid, leader.getAsLong(), message)) {
      return;
    }
    boolean changed = false;
    // STATUS= first: a READY=1 in the same datagram publishes the new state at once, and a reader must
    // never see READY without the status text that came with it
    List<String> lines = new java.util.ArrayList<>(List.of(message.split("\n")));
    lines.sort(java.util.Comparator.comparing(l -> !l.startsWith("STATUS=")));
    for (String line : lines) {
      int eq = line.indexOf('=');
      if (eq <= 0) {
        continue;
      }
      String key = line.substring(0, eq);
      String value = line.substring(eq + 1);
      switch (key) {
        case "READY":
          ChildSpec spec = child.spec();
          if (value.equals("1") && child.state() == ChildState.RUNNING && spec.hasReadiness() && spec.readiness().isEmpty()) {
            if (readyTimer != null) {
              readyTimer.cancel();
              readyTimer = null;
            }
            stoppingNotified = false;
            child.probedReady();
          }
          break;
        case "STATUS":
          statusText = value.length() > 512 ? value.substring(0, 512) : value;
          changed = true;
          break;
        case "WATCHDOG":
          if (value.equals("1")) {
            lastWatchdogAt = engine.now();
          } else if (value.equals("trigger") && watchdogInterval != null) {
            hung("watchdog: the child asked for it (WATCHDOG=trigger)");
            return;
          }
          break;
        case "WATCHDOG_USEC":
          try {
            long usec = Long.parseLong(value.trim());
            if (usec > 0 && watchdogInterval != null) {
              watchdogInterval = Duration.ofNanos(usec * 1000);
            }
          } catch (NumberFormatException e) {
            log.debug("child '{}': ignoring WATCHDOG_USEC={}", child.name(), value);
          }
          break;
        case "RELOADING":
        case "STOPPING":
          if (value.equals("1")) {
            boolean stopping = key.equals("STOPPING");
            stoppingNotified |= stopping;
            changed |= child.notReady(stopping ? "stopping on its own (STOPPING=1)" : "reloading (RELOADING=1)");
          }
          break;
        default:
          break; // MAINPID, BARRIER (its descriptor is closed by the socket), ERRNO, ...
      }
    }
    if (changed) {
      child.statusChanged();
    }
  }

  private boolean fromTheChild(long pid, OptionalLong senderPgid, long leader, String message) {
    if (senderPgid.isEmpty()) { // as systemd's NotifyAccess: a sender gone before it was read cannot be attributed
      log.debug("child '{}': ignored a notify message from pid {}, which exited before it could be checked ({})", child.name(), pid,
          message.replace('\n', ' '));
      return false;
    }
    long pgid = senderPgid.getAsLong();
    if (pid != leader && pgid != leader) {
      if (!warnedForeignSender) {
        warnedForeignSender = true;
        log.warn("child '{}': ignored a notify message from pid {}, which is not in its process group {} ({})", child.name(), pid,
            leader, message.replace('\n', ' '));
      }
      return false;
    }
    return true;
  }
}
