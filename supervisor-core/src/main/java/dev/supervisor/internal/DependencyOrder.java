package dev.supervisor.internal;

import dev.supervisor.ChildSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    List<ChildSpec> out = new ArrayList<>();
    Set<String> done = new HashSet<>();
    Map<String, Integer> mark = new HashMap<>(); // 1 = on the stack
    for (ChildSpec s : specs) {
      visit(s, byName, done, mark, new ArrayList<>(), out);
    }
    return out;
  }

  private static void visit(ChildSpec s, Map<String, ChildSpec> byName, Set<String> done, Map<String, Integer> mark,
      List<String> path, List<ChildSpec> out) {
    if (done.contains(s.name())) {
      return;
    }
    if (mark.containsKey(s.name())) {
      List<String> cycle = new ArrayList<>(path.subList(path.indexOf(s.name()), path.size()));
      cycle.add(s.name());
      throw new IllegalArgumentException("dependency cycle: " + String.join(" -> ", cycle));
    }
    mark.put(s.name(), 1);
    path.add(s.name());
    for (String d : s.dependsOn()) {
      visit(byName.get(d), byName, done, mark, path, out);
    }
    path.remove(path.size() - 1);
    mark.remove(s.name());
    done.add(s.name());
    out.add(s);
  }
}
