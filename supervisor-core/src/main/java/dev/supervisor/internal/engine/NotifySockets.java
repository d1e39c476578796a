package dev.supervisor.internal.engine;

import dev.supervisor.NotifySocketFactory;
import dev.supervisor.internal.OwnedDirectories;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The notify protocol's sockets: one datagram socket per child that uses it, at {@code
 * <home>/run/notify/<name>.sock}, bound at start (or when the child is added), bound again before
 * a spawn when its file went away, closed at the end. What arrives is handed to the child's
 * state machine on the loop. Threadsafe (its own lock).
 */
final class NotifySockets {
  private static final Logger log = LoggerFactory.getLogger(NotifySockets.class);

  private final Path dir;
  private final NotifySocketFactory factory;
  private final Executor loop;
  /** By child name. */
  private final Map<String, NotifySocketFactory.NotifySocket> bound = new LinkedHashMap<>();

  NotifySockets(Path home, NotifySocketFactory factory, Executor loop) {
    this.dir = home.resolve("run").resolve("notify");
    this.factory = factory;
    this.loop = loop;
  }

  /** Binds the socket of every child in {@code children} that uses the notify protocol. */
  synchronized void bindAll(List<ChildRunner> children) throws IOException {
    for (ChildRunner r : children) {
      if (r.spec.notifySettings().isPresent()) {
        bind(r);
      }
    }
  }

  /** For a child added later (scale, reload): binds its socket if it uses the protocol and has none. */
  synchronized void bindIfNeeded(ChildRunner r) {
    if (r.spec.notifySettings().isPresent() && r.notify.socket == null && factory != null) {
      try {
        bind(r);
      } catch (IOException e) {
        throw new UncheckedIOException(e.getMessage(), e);
      }
    }
  }

  /**
   * Before a spawn (loop thread): when the child's notify socket file is gone ({@code run/}
   * deleted), binds it again, so that the child's {@code NOTIFY_SOCKET} reaches us.
   *
   * @throws IOException if it cannot be bound again
   */
  void ensure(ChildRunner r) throws IOException {
    Path path = r.notify.socket;
    if (path == null || Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    synchronized (this) {
      NotifySocketFactory.NotifySocket old = bound.remove(r.name());
      if (old != null) {
        old.close(); // first: closing removes the file at the path, which the new socket is about to take
      }
      log.warn("the notify socket {} of child '{}' was deleted: binding it again", path, r.name());
      bind(r);
    }
  }

  synchronized void closeAll() {
    bound.values().forEach(NotifySocketFactory.NotifySocket::close);
    bound.clear();
  }

  private void bind(ChildRunner r) throws IOException {
    OwnedDirectories.ensure(dir); // run/ is the control socket's too: 0700 as its server makes it
    Path path = dir.resolve(r.name() + ".sock");
    if (path.toString().getBytes(StandardCharsets.UTF_8).length > 107) {
      throw new IOException("the notify socket " + path + " is longer than the 107 bytes a Unix socket address holds;"
          + " use a shorter home or child name");
    }
    Files.deleteIfExists(path); // ours: the pid lock is held, so no live supervisor uses it
    try {
      bound.put(r.name(), factory.bind(path, (pid, pgid, message) -> {
        try {
          loop.execute(() -> r.notify.received(pid, pgid, message));
        } catch (RejectedExecutionException e) {
          // the supervisor has ended
        }
      }));
    } catch (IOException e) {
      throw new IOException("cannot bind the notify socket " + path + " of child '" + r.name() + "': " + e.getMessage(), e);
    }
    r.notify.socket = path;
  }
}
