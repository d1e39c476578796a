package dev.supervisor.internal;

import dev.supervisor.ChildSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Start order: declaration order, except that a child comes after everything it depends on. */
public final class DependencyOrder {
  private DependencyOrder() {}

  /**
   * Orders {@code specs} for starting.
   *
   * @throws IllegalArgumentException naming duplicate names, unknown dependencies or a cycle
   */
  public static List<ChildSpec> startOrder(List<ChildSpec> specs) {
    Map<String, ChildSpec> byName = new LinkedHashMap<>();
    for (ChildSpec s : specs) {
      if (byName.put(s.name(), s) != null) {
        throw new IllegalArgumentException("duplicate child name '" + s.name() + "': names must be unique");
      }
    }
    for (ChildSpec s : specs) {
      for (String d : s.dependsOn()) {
        if (!byName.containsKey(d)) {
          throw new IllegalArgumentException("child '" + s.name() + "' depends on unknown child '" + d + "'; known: " + byName.keySet());
        }
      }
    }
    Optional<List<String>> cycle = findCycle(specs);
    if (cycle.isPresent()) {
      throw new IllegalArgumentException("dependency cycle: " + String.join(" -> ", cycle.get()));
    }
    List<ChildSpec> out = new ArrayList<>();
    Set<String> done = new HashSet<>();
    for (ChildSpec s : specs) {
      visit(s, byName, done, out);
    }
    return out;
  }

  /**
   * The first dependency cycle, searched depth first in declaration order, as names with the
   * first one repeated at the end ({@code [a, b, a]}); empty when there is none. Every dependency
   * must name one of {@code specs}. The one cycle check: the supervisor's and the config file's.
   */
  public static Optional<List<String>> findCycle(List<ChildSpec> specs) {
    Map<String, ChildSpec> byName = new HashMap<>();
    specs.forEach(s -> byName.putIfAbsent(s.name(), s));
    Map<String, Integer> state = new HashMap<>(); // 1 on the current path, 2 done
    for (ChildSpec s : specs) {
      if (!state.containsKey(s.name())) {
        List<String> c = cycleFrom(s, byName, state, new ArrayList<>());
        if (c != null) {
          return Optional.of(c);
        }
      }
    }
    return Optional.empty();
  }

  private static List<String> cycleFrom(ChildSpec s, Map<String, ChildSpec> byName, Map<String, Integer> state, List<String> path) {
    state.put(s.name(), 1);
    path.add(s.name());
    for (String d : s.dependsOn()) {
      Integer st = state.get(d);
      if (st != null && st == 1) {
        List<String> cycle = new ArrayList<>(path.subList(path.indexOf(d), path.size()));
        cycle.add(d);
        return cycle;
      }
      if (st == null) {
        List<String> c = cycleFrom(byName.get(d), byName, state, path);
        if (c != null) {
          return c;
        }
      }
    }
    path.remove(path.size() - 1);
    state.put(s.name(), 2);
    return null;
  }

  private static void visit(ChildSpec s, Map<String, ChildSpec> byName, Set<String> done, List<ChildSpec> out) {
    if (!done.add(s.name())) {
      return;
    }
    for (String d : s.dependsOn()) {
      visit(byName.get(d), byName, done, out);
    }
    out.add(s);
  }
}
