package dev.supervisor.internal.engine;

import dev.supervisor.ChildSpec;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link WatchService} (inotify) for every child with {@link ChildSpec.Watch}, read by one
 * daemon thread; changes go to the children's runners on the event loop. Directories are
 * watched recursively, new ones as they appear.
 */
final class Watcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Watcher.class);

  private record Subscriber(ChildRunner runner, List<Path> paths, List<PathMatcher> ignore) {}

  private final Engine engine;
  private final WatchService service;
  private final List<Subscriber> subscribers = new ArrayList<>();
  private final Map<WatchKey, Path> dirs = new ConcurrentHashMap<>();
  private final Thread thread;

  private Watcher(Engine engine, WatchService service) {
    this.engine = engine;
    this.service = service;
    this.thread = new Thread(this::loop, "supervisor-watch");
    this.thread.setDaemon(true);
  }

  /** Null when no child watches anything. @throws IOException if a watched path cannot be watched */
  static Watcher start(Engine engine, List<ChildRunner> children) throws IOException {
    List<ChildRunner> watching = children.stream().filter(r -> r.spec.watch().isPresent()).toList();
    if (watching.isEmpty()) {
      return null;
    }
    Watcher w = new Watcher(engine, FileSystems.getDefault().newWatchService());
    try {
      for (ChildRunner r : watching) {
        ChildSpec.Watch spec = r.spec.watch().get();
        List<PathMatcher> ignore = spec.ignore().stream().map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g)).toList();
        w.subscribers.add(new Subscriber(r, spec.paths(), ignore));
        for (Path p : spec.paths()) {
          if (Files.isDirectory(p)) {
            w.registerTree(p);
          } else if (Files.isDirectory(p.getParent())) {
            w.register(p.getParent());
          } else {
            throw new IOException("child '" + r.name() + "' watches " + p + ", which does not exist (nor its directory)");
          }
        }
      }
    } catch (IOException e) {
      w.close();
      throw e;
    }
    w.thread.start();
    return w;
  }

  private void registerTree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path d : (Iterable<Path>) s.filter(Files::isDirectory)::iterator) {
        register(d);
      }
    }
  }

  private void register(Path dir) throws IOException {
    WatchKey k = dir.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
        StandardWatchEventKinds.ENTRY_DELETE);
    dirs.put(k, dir);
  }

  private void loop() {
    while (true) {
      WatchKey key;
      try {
        key = service.take();
      } catch (ClosedWatchServiceException | InterruptedException e) {
        return;
      }
      Path dir = dirs.get(key);
      for (WatchEvent<?> e : key.pollEvents()) {
        if (dir == null || e.kind() == StandardWatchEventKinds.OVERFLOW) {
          continue;
        }
        Path file = dir.resolve((Path) e.context());
        if (e.kind() == StandardWatchEventKinds.ENTRY_CREATE && Files.isDirectory(file)) {
          try {
            registerTree(file);
          } catch (IOException ex) {
            log.warn("cannot watch the new directory {}: {}", file, ex.toString());
          }
        }
        for (Subscriber s : subscribers) {
          if (s.paths().stream().anyMatch(file::startsWith) && s.ignore().stream().noneMatch(m -> m.matches(file))) {
            try {
              engine.loop().execute(() -> s.runner().watch.changed(file));
            } catch (RejectedExecutionException ex) {
              return; // the supervisor has ended
            }
          }
        }
      }
      if (!key.reset()) {
        dirs.remove(key);
      }
    }
  }

  @Override
  public void close() {
    try {
      service.close();
    } catch (IOException e) {
      log.debug("closing the watch service: {}", e.toString());
    }
  }
}
