package dev.supervisor.ipc.systemd;

import dev.supervisor.ChildState;
import dev.supervisor.ChildStatus;
import dev.supervisor.Registration;
import dev.supervisor.Supervisor;
import dev.supervisor.SupervisorState;
import dev.supervisor.event.ChildStateChanged;
import dev.supervisor.event.SupervisorStateChanged;
import java.io.IOException;
import java.net.DatagramPacket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Speaks systemd's notify protocol: datagrams of {@code KEY=VALUE} lines to {@code $NOTIFY_SOCKET}
 * (a path, or {@code @name} in the abstract namespace). {@link #attach(Supervisor)} sends
 * {@code READY=1} once every child is up, {@code STATUS=} lines as children change,
 * {@code WATCHDOG=1} every half {@code $WATCHDOG_USEC} while the supervisor runs, and
 * {@code STOPPING=1} when it stops. Threadsafe.
 */
public final class SystemdNotifier implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SystemdNotifier.class);

  private final String target;
  private final AFUNIXSocketAddress address;
  private final Optional<Duration> watchdog;
  private final AFUNIXDatagramSocket socket;
  private ScheduledExecutorService timer;
  private Registration registration;
  private volatile boolean failing;

  private SystemdNotifier(String target, Optional<Duration> watchdog) throws IOException {
    this.target = target;
    this.address = target.startsWith("@")
        ? AFUNIXSocketAddress.inAbstractNamespace(target.substring(1))
        : AFUNIXSocketAddress.of(java.nio.file.Path.of(target));
    this.watchdog = watchdog;
    this.socket = AFUNIXDatagramSocket.newInstance();
  }

  /**
   * A notifier for the environment systemd gives a {@code Type=notify} service; empty when
   * {@code NOTIFY_SOCKET} is not set (not run by systemd).
   *
   * @throws IOException if a datagram socket cannot be created
   */
  public static Optional<SystemdNotifier> fromEnvironment() throws IOException {
    return fromEnvironment(System.getenv());
  }

  /** As {@link #fromEnvironment()}, reading {@code env}. */
  public static Optional<SystemdNotifier> fromEnvironment(Map<String, String> env) throws IOException {
    String target = env.get("NOTIFY_SOCKET");
    if (target == null || target.isEmpty()) {
      return Optional.empty();
    }
    Optional<Duration> watchdog = Optional.empty();
    String usec = env.get("WATCHDOG_USEC");
    String wpid = env.get("WATCHDOG_PID");
    if (usec != null && (wpid == null || wpid.equals(Long.toString(ProcessHandle.current().pid())))) {
      try {
        watchdog = Optional.of(Duration.ofNanos(Long.parseLong(usec.trim()) * 1000)).filter(d -> !d.isZero() && !d.isNegative());
      } catch (NumberFormatException e) {
        log.warn("ignoring WATCHDOG_USEC='{}': not a number of microseconds", usec);
      }
    }
    return Optional.of(new SystemdNotifier(target, watchdog));
  }

  /** A notifier for {@code target} ({@code /path} or {@code @abstract}), with an optional watchdog interval. */
  public static SystemdNotifier of(String target, Optional<Duration> watchdog) throws IOException {
    return new SystemdNotifier(target, watchdog);
  }

  /** Sends one message ({@code "READY=1\nSTATUS=..."}). A failure is logged once and returned as false. */
  public boolean send(String message) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    try {
      synchronized (socket) {
        if (!socket.isConnected()) {
          socket.connect(address); // a DatagramPacket cannot carry a Unix address: send on a connected socket
        }
        socket.send(new DatagramPacket(bytes, bytes.length));
      }
      if (failing) {
        failing = false;
        log.info("systemd notify socket {} reachable again", target);
      }
      return true;
    } catch (IOException | RuntimeException e) {
      if (!failing) {
        failing = true;
        log.warn("cannot notify systemd at {}: {}", target, e.toString());
      }
      return false;
    }
  }

  /**
   * Notifies for {@code sup} from now on: READY once healthy, STATUS on changes, WATCHDOG while
   * running, STOPPING when it stops. Call after {@code startAsync()}.
   */
  public synchronized SystemdNotifier attach(Supervisor sup) {
    if (timer != null) {
      throw new IllegalStateException("already attached");
    }
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "systemd-notify");
      t.setDaemon(true);
      return t;
    });
    registration = sup.addListener(e -> {
      if (e instanceof SupervisorStateChanged s && s.to() == SupervisorState.STOPPING) {
        send("STOPPING=1\nSTATUS=stopping " + sup.children().size() + " children");
      } else if (e instanceof ChildStateChanged) {
        send("STATUS=" + summary(sup));
      }
    }, timer);
    timer.execute(() -> {
      try {
        sup.awaitHealthy(Duration.ofDays(365));
        send("READY=1\nSTATUS=" + summary(sup) + "\nMAINPID=" + ProcessHandle.current().pid());
      } catch (Exception e) {
        send("STATUS=not ready: " + e.getMessage());
      }
    });
    watchdog.ifPresent(interval -> {
      long every = Math.max(1, interval.toMillis() / 2);
      timer.scheduleAtFixedRate(() -> {
        SupervisorState st = sup.state();
        if (st == SupervisorState.RUNNING || st == SupervisorState.STARTING) {
          send("WATCHDOG=1");
        }
      }, every, every, TimeUnit.MILLISECONDS);
    });
    return this;
  }

  /** {@code "3/3 children up"} or {@code "2/3 children up; executor BACKOFF"}. */
  static String summary(Supervisor sup) {
    int up = 0;
    StringBuilder down = new StringBuilder();
    java.util.List<ChildStatus> children = sup.status().children();
    for (ChildStatus c : children) {
      if (c.state() == ChildState.RUNNING || c.state() == ChildState.READY) {
        up++;
      } else {
        down.append(down.length() == 0 ? "; " : ", ").append(c.name()).append(' ').append(c.state());
      }
    }
    return up + "/" + children.size() + " children up" + down;
  }

  @Override
  public synchronized void close() {
    if (registration != null) {
      registration.remove();
    }
    if (timer != null) {
      timer.shutdownNow();
    }
    socket.close();
  }
}
