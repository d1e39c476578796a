package dev.supervisor.internal.engine;

import dev.supervisor.ChildSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The children in start order, with the instances added by scale (retired ones stay, hidden, so
 * that a name coming back reuses its runner) and a lookup by run name. Reads take no lock and
 * never see a half-made change (a copy-on-write list, swapped whole on a reorder); changes are
 * made one at a time under the engine's monitor.
 */
final class ChildTable {
  private final Engine engine;
  private final Path logDir;
  private final List<ChildRunner> all = new CopyOnWriteArrayList<>();
  private final Map<String, ChildRunner> byName = new ConcurrentHashMap<>();

  ChildTable(Engine engine, Path logDir) {
    this.engine = engine;
    this.logDir = logDir;
  }

  /** Every child, in start order, retired ones included (a live view). */
  List<ChildRunner> all() {
    return all;
  }

  /** The child of that run name, retired or not, or null. */
  ChildRunner get(String name) {
    return byName.get(name);
  }

  /** The children not retired, in start order. */
  List<ChildRunner> live() {
    return all.stream().filter(r -> !r.retired).toList();
  }

  /** The specs of the children not retired, in start order. */
  List<ChildSpec> specs() {
    return all.stream().filter(r -> !r.retired).map(r -> r.spec).toList();
  }

  /**
   * The child of that run name.
   *
   * @throws IllegalArgumentException "no child named 'x'; children: a, b" if there is none
   */
  ChildRunner orThrow(String name) {
    ChildRunner r = byName.get(Objects.requireNonNull(name, "name"));
    if (r == null || r.retired) {
      throw new IllegalArgumentException("no child named '" + name + "'; children: "
          + String.join(", ", specs().stream().map(ChildSpec::name).toList()));
    }
    return r;
  }

  /** Where a child of this spec logs, or null when its output is discarded. */
  Path logFileOf(ChildSpec spec) {
    return spec.logs().enabled() ? logDir.resolve(spec.name() + ".log") : null;
  }

  /** A new child at the end of the start order (not started). */
  ChildRunner add(ChildSpec spec) {
    ChildRunner r = new ChildRunner(engine, spec, all.size(), logFileOf(spec));
    all.add(r);
    byName.put(spec.name(), r);
    return r;
  }

  /** A new start order: {@code first} (by name), then every other child (retired, hidden) as they were; renumbered. */
  void reorder(List<String> first) {
    Set<String> named = new HashSet<>(first);
    List<ChildRunner> order = new ArrayList<>();
    first.forEach(n -> order.add(byName.get(n)));
    all.stream().filter(r -> !named.contains(r.name())).forEach(order::add);
    for (int i = 0; i < order.size(); i++) {
      order.get(i).index = i;
    }
    Iterator<ChildRunner> it = order.iterator();
    all.replaceAll(r -> it.next()); // one atomic swap of the array: readers never see a half-ordered list
  }
}
