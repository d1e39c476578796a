package dev.supervisor.internal.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.supervisor.ConfigException;
import dev.supervisor.Enforcement;
import dev.supervisor.Permissions;
import dev.supervisor.Privileges;
import dev.supervisor.ResourceLimit;
import dev.supervisor.internal.PrivilegeSupport;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The privilege fields of a child in a config file: {@code "user"}, {@code "group"},
 * {@code "umask"} ({@code "0027"}), {@code "noNewPrivileges"}, {@code "capabilities"},
 * {@code "limits"} ({@code {"nofile": 1024, "as": "1G", "cpu": "60s"}}), {@code "permissions"}
 * ({@code {"read": [...], "write": [...], "exec": [...], "net": false}}, relative paths against the
 * config's directory) and {@code "enforce"} ({@code "strict"} or {@code "best-effort"}).
 */
final class PrivilegeConfig {
  static final List<String> FIELDS = List.of("user", "group", "umask", "noNewPrivileges", "capabilities", "limits",
      "permissions", "enforce");
  private static final List<String> PERMISSION_FIELDS = List.of("read", "write", "exec", "net");

  /** Builds a {@link ConfigException} for a field path. */
  @FunctionalInterface
  interface Fail {
    ConfigException at(String field, String problem);
  }

  private PrivilegeConfig() {}

  /** The child's privileges ({@link Privileges#none()} when it declares none), checked against this host. */
  static Privileges read(JsonNode node, String path, Path baseDir, Fail fail) throws ConfigException {
    Privileges.Builder b = Privileges.builder();
    boolean any = false;
    for (String f : FIELDS) {
      any |= present(node.get(f));
    }
    if (!any) {
      return Privileges.none();
    }
    try {
      JsonNode user = node.get("user");
      if (present(user)) {
        b.user(id(user, path + ".user", fail));
      }
      JsonNode group = node.get("group");
      if (present(group)) {
        b.group(id(group, path + ".group", fail));
      }
      JsonNode umask = node.get("umask");
      if (present(umask)) {
        if (!umask.isTextual() || !umask.textValue().matches("0?[0-7]{3}")) {
          throw fail.at(path + ".umask", "must be an octal string such as \"0027\", got " + JsonFields.describe(umask));
        }
        b.umask(Integer.parseInt(umask.textValue(), 8));
      }
      JsonNode nnp = node.get("noNewPrivileges");
      if (present(nnp)) {
        if (!nnp.isBoolean()) {
          throw fail.at(path + ".noNewPrivileges", "must be true or false, got " + JsonFields.describe(nnp));
        }
        b.noNewPrivileges(nnp.booleanValue());
      }
      JsonNode caps = node.get("capabilities");
      if (present(caps)) {
        b.capabilities(strings(caps, path + ".capabilities", "an array of capability names like [\"NET_BIND_SERVICE\"]", fail)
            .toArray(String[]::new));
      }
      JsonNode limits = node.get("limits");
      if (present(limits)) {
        limits(b, limits, path + ".limits", fail);
      }
      JsonNode perm = node.get("permissions");
      if (present(perm)) {
        b.permissions(permissions(perm, path + ".permissions", baseDir, fail));
      }
      JsonNode enforce = node.get("enforce");
      if (present(enforce)) {
        if (!enforce.isTextual() || !List.of("strict", "best-effort").contains(enforce.textValue())) {
          throw fail.at(path + ".enforce", "must be \"strict\" or \"best-effort\", got " + JsonFields.describe(enforce));
        }
        b.enforcement(enforce.textValue().equals("strict") ? Enforcement.STRICT : Enforcement.BEST_EFFORT);
      }
    } catch (IllegalArgumentException e) {
      throw fail.at(path, e.getMessage());
    }
    Privileges p = b.build();
    check(p, path, fail);
    return p;
  }

  /** Refuses an unknown user or group, and a control this host cannot enforce unless best-effort. */
  private static void check(Privileges p, String path, Fail fail) throws ConfigException {
    for (PrivilegeSupport.Gap g : PrivilegeSupport.invalid(p)) {
      throw fail.at(path + "." + g.field(), g.reason());
    }
    if (p.enforcement() == Enforcement.STRICT) {
      for (PrivilegeSupport.Gap g : PrivilegeSupport.gaps(p)) {
        throw fail.at(path + "." + g.field(), "cannot be enforced here: " + g.reason()
            + " (or set \"enforce\": \"best-effort\" to start without it)");
      }
    }
  }

  private static void limits(Privileges.Builder b, JsonNode limits, String path, Fail fail) throws ConfigException {
    if (!limits.isObject()) {
      throw fail.at(path, "must be an object like {\"nofile\": 1024, \"as\": \"1G\"}, got " + JsonFields.describe(limits));
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = limits.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String at = path + "." + e.getKey();
      ResourceLimit l = ResourceLimit.ofKey(e.getKey()).orElseThrow(() -> fail.at(at, "unknown limit (allowed: "
          + String.join(", ", java.util.Arrays.stream(ResourceLimit.values()).map(ResourceLimit::key).toList()) + ")"));
      JsonNode v = e.getValue();
      long value;
      try {
        if (v.isIntegralNumber() && v.canConvertToLong()) {
          value = v.longValue();
        } else if (v.isTextual()) {
          value = l.parse(v.textValue());
        } else {
          throw fail.at(at, "must be a whole number or a string such as \"100M\" or \"60s\", got " + JsonFields.describe(v));
        }
        b.limit(l, value);
      } catch (IllegalArgumentException ex) {
        throw fail.at(at, ex.getMessage());
      }
    }
  }

  private static Permissions permissions(JsonNode perm, String path, Path baseDir, Fail fail) throws ConfigException {
    if (!perm.isObject()) {
      throw fail.at(path, "must be an object like {\"read\": [\"/etc/app\"], \"write\": [\"data\"], \"net\": false}, got "
          + JsonFields.describe(perm));
    }
    for (Iterator<String> it = perm.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!PERMISSION_FIELDS.contains(k)) {
        throw fail.at(path + "." + k, "unknown field (allowed: " + String.join(", ", PERMISSION_FIELDS) + ")");
      }
    }
    Permissions.Builder pb = Permissions.builder();
    for (String kind : List.of("read", "write", "exec")) {
      JsonNode list = perm.get(kind);
      if (!present(list)) {
        continue;
      }
      List<Path> paths = new ArrayList<>();
      List<String> texts = strings(list, path + "." + kind, "an array of paths", fail);
      for (int i = 0; i < texts.size(); i++) {
        try {
          paths.add(baseDir.resolve(texts.get(i)).toAbsolutePath().normalize());
        } catch (InvalidPathException e) {
          throw fail.at(path + "." + kind + "[" + i + "]", "invalid path: " + e.getReason());
        }
      }
      Path[] arr = paths.toArray(Path[]::new);
      switch (kind) {
        case "read" -> pb.read(arr);
        case "write" -> pb.write(arr);
        default -> pb.exec(arr);
      }
    }
    JsonNode net = perm.get("net");
    if (present(net)) {
      if (!net.isBoolean()) {
        throw fail.at(path + ".net", "must be true or false, got " + JsonFields.describe(net));
      }
      pb.network(net.booleanValue());
    }
    return pb.build();
  }

  private static String id(JsonNode node, String path, Fail fail) throws ConfigException {
    if (node.isTextual()) {
      return node.textValue();
    }
    if (node.isIntegralNumber() && node.longValue() >= 0) {
      return Long.toString(node.longValue());
    }
    throw fail.at(path, "must be a name or a numeric id, got " + JsonFields.describe(node));
  }

  private static List<String> strings(JsonNode node, String path, String what, Fail fail) throws ConfigException {
    if (!node.isArray()) {
      throw fail.at(path, "must be " + what + ", got " + JsonFields.describe(node));
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      if (!node.get(i).isTextual()) {
        throw fail.at(path + "[" + i + "]", "must be a string, got " + JsonFields.describe(node.get(i)));
      }
      out.add(node.get(i).textValue());
    }
    return out;
  }

  private static boolean present(JsonNode n) {
    return n != null && !n.isNull() && !n.isMissingNode();
  }
}
