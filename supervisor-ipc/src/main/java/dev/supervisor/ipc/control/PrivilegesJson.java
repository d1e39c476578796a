package dev.supervisor.ipc.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.Enforcement;
import dev.supervisor.Permissions;
import dev.supervisor.PrivilegeReport;
import dev.supervisor.Privileges;
import dev.supervisor.ResourceLimit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The wire form of a {@link PrivilegeReport} in {@code status} and {@code inspect}: {@code declared}
 * with the config file's field names, {@code enforced}, {@code notEnforced}, {@code grantedToRun}
 * and {@code effective} (what {@code /proc} shows for the live process).
 */
public final class PrivilegesJson {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private PrivilegesJson() {}

  public static ObjectNode toJson(PrivilegeReport r) {
    ObjectNode o = F.objectNode();
    o.set("declared", declared(r.declared()));
    o.put("enforced", r.notEnforced().isEmpty());
    ArrayNode not = o.putArray("notEnforced");
    r.notEnforced().forEach(not::add);
    ObjectNode granted = o.putObject("grantedToRun");
    r.grantedToRun().entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> granted.put(e.getKey().toString(), e.getValue()));
    r.effective().ifPresent(e -> {
      ObjectNode eff = o.putObject("effective");
      eff.put("uid", e.uid());
      eff.put("gid", e.gid());
      ArrayNode groups = eff.putArray("groups");
      e.groups().forEach(groups::add);
      ArrayNode caps = eff.putArray("capabilities");
      e.capabilities().forEach(caps::add);
      eff.put("noNewPrivileges", e.noNewPrivileges());
      ObjectNode limits = eff.putObject("limits");
      e.limits().forEach(limits::put);
    });
    return o;
  }

  /** {@code declared}: the config file's fields and values. */
  public static ObjectNode declared(Privileges p) {
    ObjectNode d = F.objectNode();
    p.user().ifPresent(u -> d.put("user", u));
    p.group().ifPresent(g -> d.put("group", g));
    p.umask().ifPresent(m -> d.put("umask", Privileges.octal(m)));
    if (p.noNewPrivileges()) {
      d.put("noNewPrivileges", true);
    }
    p.capabilities().ifPresent(c -> {
      ArrayNode a = d.putArray("capabilities");
      c.forEach(a::add);
    });
    if (!p.limits().isEmpty()) {
      ObjectNode l = d.putObject("limits");
      p.limits().forEach((k, v) -> l.put(k.key(), v));
    }
    p.permissions().ifPresent(perm -> {
      ObjectNode po = d.putObject("permissions");
      if (perm.restrictsFilesystem()) {
        paths(po.putArray("read"), perm.read());
        paths(po.putArray("write"), perm.write());
        paths(po.putArray("exec"), perm.exec());
      }
      po.put("net", perm.network());
    });
    d.put("enforce", p.enforcement() == Enforcement.STRICT ? "strict" : "best-effort");
    return d;
  }

  private static void paths(ArrayNode a, List<Path> paths) {
    paths.forEach(p -> a.add(p.toString()));
  }

  /** Reads the wire form back. */
  public static PrivilegeReport fromJson(JsonNode o) {
    JsonNode d = o.path("declared");
    Privileges.Builder b = Privileges.builder();
    if (d.hasNonNull("user")) {
      b.user(d.get("user").asText());
    }
    if (d.hasNonNull("group")) {
      b.group(d.get("group").asText());
    }
    if (d.hasNonNull("umask")) {
      b.umask(Integer.parseInt(d.get("umask").asText(), 8));
    }
    b.noNewPrivileges(d.path("noNewPrivileges").asBoolean(false));
    if (d.has("capabilities")) {
      List<String> caps = new ArrayList<>();
      d.get("capabilities").forEach(c -> caps.add(c.asText()));
      b.capabilities(caps.toArray(String[]::new));
    }
    d.path("limits").properties().forEach(e -> ResourceLimit.ofKey(e.getKey()).ifPresent(l -> b.limit(l, e.getValue().asLong())));
    if (d.has("permissions")) {
      JsonNode po = d.get("permissions");
      Permissions.Builder pb = Permissions.builder().network(po.path("net").asBoolean(true));
      if (po.has("read") || po.has("write") || po.has("exec")) {
        pb.read(paths(po.path("read"))).write(paths(po.path("write"))).exec(paths(po.path("exec")));
      }
      b.permissions(pb.build());
    }
    b.enforcement("best-effort".equals(d.path("enforce").asText()) ? Enforcement.BEST_EFFORT : Enforcement.STRICT);
    List<String> not = new ArrayList<>();
    o.path("notEnforced").forEach(n -> not.add(n.asText()));
    Map<Path, String> granted = new LinkedHashMap<>();
    o.path("grantedToRun").properties().forEach(e -> granted.put(Path.of(e.getKey()), e.getValue().asText()));
    Optional<PrivilegeReport.Effective> eff = Optional.empty();
    if (o.hasNonNull("effective")) {
      JsonNode e = o.get("effective");
      List<Long> groups = new ArrayList<>();
      e.path("groups").forEach(g -> groups.add(g.asLong()));
      List<String> caps = new ArrayList<>();
      e.path("capabilities").forEach(c -> caps.add(c.asText()));
      Map<String, String> limits = new LinkedHashMap<>();
      e.path("limits").properties().forEach(l -> limits.put(l.getKey(), l.getValue().asText()));
      eff = Optional.of(new PrivilegeReport.Effective(e.path("uid").asLong(), e.path("gid").asLong(), groups, caps,
          e.path("noNewPrivileges").asBoolean(), limits));
    }
    return new PrivilegeReport(b.build(), not, granted, eff);
  }

  private static Path[] paths(JsonNode a) {
    List<Path> out = new ArrayList<>();
    a.forEach(p -> out.add(Path.of(p.asText())));
    return out.toArray(Path[]::new);
  }
}
