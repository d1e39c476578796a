package dev.supervisor.internal.engine;

import dev.supervisor.ChildSpec;
import dev.supervisor.internal.DependencyOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Instances: a spec declared with {@code instances(n)} runs as {@code name-0 .. name-(n-1)}, and
 * a {@code dependsOn} naming the group waits for all of them. Holds each group's current count
 * and the spec its members are made from; not threadsafe (the supervisor's monitor guards it).
 */
public final class Instances {
  /** The current count of each group. */
  private final Map<String, Integer> counts = new LinkedHashMap<>();
  private final Map<String, ChildSpec> templates = new LinkedHashMap<>();

  /** Takes the groups of {@code x}, dropping the ones before. */
  void reset(Expanded x) {
    counts.clear();
    templates.clear();
    x.groups().forEach((name, n) -> counts.put(name, n[0]));
    templates.putAll(x.templates());
  }

  /** The group's current count, or -1 when {@code name} was not declared with instances. */
  int count(String name) {
    return counts.getOrDefault(name, -1);
  }

  void setCount(String name, int n) {
    counts.replace(name, n);
  }

  ChildSpec template(String name) {
    return templates.get(name);
  }

  Set<String> groups() {
    return counts.keySet();
  }

  /** Specs with instances expanded, in start order, with the groups and templates they came from. */
  record Expanded(List<ChildSpec> ordered, Map<String, int[]> groups, Map<String, ChildSpec> templates) {}

  /**
   * Instances: web (3) runs as web-0, web-1, web-2; a dependsOn naming web waits for all of them.
   *
   * @throws IllegalArgumentException naming duplicate names, unknown dependencies or a cycle
   */
  static Expanded expand(List<ChildSpec> specs) {
    Map<String, int[]> groups = new LinkedHashMap<>();
    Map<String, ChildSpec> templates = new LinkedHashMap<>();
    Map<String, List<String>> members = new LinkedHashMap<>();
    List<ChildSpec> expanded = new ArrayList<>();
    dev.supervisor.internal.ListenAddress.sharedAddress(specs).ifPresent(why -> {
      throw new IllegalArgumentException(why);
    });
    for (ChildSpec spec : specs) {
      Objects.requireNonNull(spec, "spec");
      if (spec.instances() == 0) {
        expanded.add(spec);
        continue;
      }
      groups.put(spec.name(), new int[] {spec.instances()});
      templates.put(spec.name(), spec);
      List<String> names = new ArrayList<>();
      for (int i = 0; i < spec.instances(); i++) {
        ChildSpec m = spec.instance(i);
        expanded.add(m);
        names.add(m.name());
      }
      members.put(spec.name(), names);
    }
    for (int i = 0; i < expanded.size(); i++) {
      ChildSpec spec = expanded.get(i);
      if (spec.dependsOn().stream().anyMatch(members::containsKey)) {
        List<String> deps = new ArrayList<>();
        spec.dependsOn().forEach(d -> deps.addAll(members.getOrDefault(d, List.of(d))));
        expanded.set(i, spec.toBuilder().dependsOn(deps).build());
      }
    }
    return new Expanded(DependencyOrder.startOrder(expanded), groups, templates);
  }

  /** The message for two specs that would run under the same name {@code n} (one has instances). */
  public static String clash(String n, ChildSpec first, ChildSpec second) {
    ChildSpec template = first.instances() > 0 ? first : second;
    ChildSpec other = template == first ? second : first;
    String instance = "instance '" + n + "' of '" + template.name() + "' (instances " + template.instances() + ")";
    String clash = other.instances() > 0 ? "instance '" + n + "' of '" + other.name() + "' (instances " + other.instances() + ")"
        : "child '" + other.name() + "'";
    return clash + " has the same name as " + instance + "; rename one of them";
  }
}
