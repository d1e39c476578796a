package dev.supervisor.internal.config;

import dev.supervisor.internal.engine.Instances;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.supervisor.Backoff;
import dev.supervisor.ChildSpec;
import dev.supervisor.ConfigException;
import dev.supervisor.LogConfig;
import dev.supervisor.Privileges;
import dev.supervisor.RestartContext;
import dev.supervisor.RestartMode;
import dev.supervisor.RestartPolicy;
import dev.supervisor.StandardRestartPolicy;
import dev.supervisor.StopSignal;
import dev.supervisor.Strategy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Reads a supervisor config from JSON for {@link dev.supervisor.SupervisorConfig}: the schema
 * (documented there), and messages that name the source, the JSON path, the line and column, and
 * the fix, with a suggestion for a misspelt member.
 */
public final class ConfigReader {
  private ConfigReader() {}

  /** What a config holds. */
  public record Parsed(Strategy strategy, List<ChildSpec> children) {}

  /** Threadsafe once configured. Duplicate keys and anything after the top-level value are errors. */
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private static final List<String> TOP_FIELDS = List.of("strategy", "children");
  private static final List<String> CHILD_FIELDS = List.of("name", "command", "workingDir", "env", "inheritEnv",
      "restart", "backoff", "resetAfter", "maxRestarts", "window", "stopSignal", "stopGrace", "dependsOn", "logs",
      "readiness", "readyTimeout", "watchdog", "instances", "user", "group", "umask", "noNewPrivileges", "capabilities",
      "limits", "permissions", "enforce", "sockets");
  private static final List<String> BACKOFF_FIELDS = List.of("initial", "max", "multiplier", "jitter");
  private static final List<String> LOGS_FIELDS = List.of("maxBytes", "keep", "gzip");

  private static final Map<String, Strategy> STRATEGIES = JsonFields.orderedMap(
      "one-for-one", Strategy.ONE_FOR_ONE, "one-for-all", Strategy.ONE_FOR_ALL, "rest-for-one", Strategy.REST_FOR_ONE);
  private static final Map<String, RestartMode> RESTART_MODES = JsonFields.orderedMap(
      "always", RestartMode.ALWAYS, "on-failure", RestartMode.ON_FAILURE, "never", RestartMode.NEVER);

  private static final String EXAMPLE_CHILD = "{\"name\": \"w1\", \"command\": [\"sleep\", \"100\"]}";
  private static final String EXAMPLE_COMMAND = "[\"sleep\", \"100\"]";
  private static final String EXAMPLE_LOGS = "{\"maxBytes\": 10485760, \"keep\": 7, \"gzip\": true}";

  /** As {@link dev.supervisor.SupervisorConfig#load(Path)}. */
  public static Parsed load(Path file) throws ConfigException {
    Objects.requireNonNull(file, "file");
    if (Files.isDirectory(file)) {
      throw new ConfigException("cannot read config " + file + ": it is a directory; give the JSON file", file, "", null);
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ConfigException("cannot read config " + file + ": " + JsonFields.describe(e), file, "", e);
    }
    Path parent = file.toAbsolutePath().getParent();
    Reader reader = new Reader(file.toString(), file, parent != null ? parent : JsonFields.currentDirectory());
    JsonNode root;
    try {
      root = MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw reader.malformed(e);
    }
    return reader.config(root);
  }
  /** As {@link dev.supervisor.SupervisorConfig#parse(String, String)}. */
  public static Parsed parse(String json, String sourceName) throws ConfigException {
    Objects.requireNonNull(json, "json");
    Objects.requireNonNull(sourceName, "sourceName");
    Reader reader = new Reader(sourceName, null, JsonFields.currentDirectory());
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (IOException e) {
      throw reader.malformed(e);
    }
    return reader.config(root);
  }
  // ========================================================== reading

  /** Walks one JSON tree; every error names the source and the JSON path. */
  private static final class Reader extends JsonFields {
    private final Path baseDir;

    Reader(String source, Path file, Path baseDir) {
      super(source, file);
      this.baseDir = baseDir;
    }

    Parsed config(JsonNode root) throws ConfigException {
      if (root == null || root.isMissingNode()) {
        throw fail("", "empty document; write an object like {\"children\": [" + EXAMPLE_CHILD + "]}");
      }
      if (!root.isObject()) {
        throw fail("", "the top level must be an object like {\"children\": [" + EXAMPLE_CHILD + "]}, got "
            + describe(root));
      }
      checkFields(root, "", TOP_FIELDS);
      Strategy strategy = choice(root.get("strategy"), "strategy", "strategy", STRATEGIES, Strategy.ONE_FOR_ONE);

      JsonNode list = root.get("children");
      if (absent(list)) {
        throw fail("children", "missing; list at least one child, e.g. \"children\": [" + EXAMPLE_CHILD + "]");
      }
      if (!list.isArray()) {
        throw fail("children", "must be an array of child objects like [" + EXAMPLE_CHILD + "], got " + describe(list));
      }
      if (list.isEmpty()) {
        throw fail("children", "must not be empty; list at least one child, e.g. [" + EXAMPLE_CHILD + "]");
      }
      List<ChildSpec> specs = new ArrayList<>();
      Map<String, Integer> indexByName = new HashMap<>();
      for (int i = 0; i < list.size(); i++) {
        String path = "children[" + i + "]";
        ChildSpec spec = child(list.get(i), path, indexByName);
        indexByName.put(spec.name(), i);
        specs.add(spec);
      }
      checkInstanceNames(specs);
      checkDependencies(specs, indexByName);
      return new Parsed(strategy, specs);
    }

    private ChildSpec child(JsonNode node, String path, Map<String, Integer> indexByName) throws ConfigException {
      if (!node.isObject()) {
        throw fail(path, "must be an object like " + EXAMPLE_CHILD + ", got " + describe(node));
      }
      checkFields(node, path, CHILD_FIELDS);

      String namePath = path + ".name";
      JsonNode nameNode = node.get("name");
      if (absent(nameNode)) {
        throw fail(namePath, "missing; give every child a unique name of up to 64 lower-case letters, digits, '.', '_' and '-',"
            + " starting with a letter or a digit");
      }
      String name = string(nameNode, namePath);
      ChildSpec.Builder b;
      try {
        b = ChildSpec.builder(name);
      } catch (IllegalArgumentException e) {
        throw fail(namePath, e.getMessage(), e);
      }
      Integer other = indexByName.get(name);
      if (other != null) {
        throw fail(namePath, "duplicate child name '" + name + "' (also children[" + other + "])");
      }

      String commandPath = path + ".command";
      JsonNode command = node.get("command");
      if (absent(command)) {
        throw fail(commandPath, "missing; give the program and its arguments, e.g. " + EXAMPLE_COMMAND);
      }
      if (!command.isArray()) {
        throw fail(commandPath, "must be an array of strings like " + EXAMPLE_COMMAND + ", got " + describe(command));
      }
      if (command.isEmpty()) {
        throw fail(commandPath, "must not be empty; give the program and its arguments, e.g. " + EXAMPLE_COMMAND);
      }
      List<String> argv = strings(command, commandPath);
      if (argv.get(0).isBlank()) {
        throw fail(commandPath + "[0]", "must not be blank; give the program to run, e.g. \"sleep\"");
      }
      apply(commandPath, () -> b.argv(argv));

      JsonNode dir = node.get("workingDir");
      if (!absent(dir)) {
        String dirPath = path + ".workingDir";
        String text = string(dir, dirPath);
        if (text.isBlank()) {
          throw fail(dirPath, "must not be blank; leave it out (or null) to use the supervisor's directory");
        }
        Path resolved;
        try {
          resolved = baseDir.resolve(Path.of(text));
        } catch (InvalidPathException e) {
          throw fail(dirPath, "invalid path " + TextNode.valueOf(text) + ": " + e.getReason(), e);
        }
        b.workingDirectory(resolved);
      }

      JsonNode env = node.get("env");
      if (!absent(env)) {
        String envPath = path + ".env";
        if (!env.isObject()) {
          throw fail(envPath, "must be an object of strings like {\"PORT\": \"8080\"}, got " + describe(env));
        }
        for (Map.Entry<String, JsonNode> e : env.properties()) {
          String varPath = member(envPath, e.getKey());
          String value = string(e.getValue(), varPath);
          apply(varPath, () -> b.env(e.getKey(), value));
        }
      }

      JsonNode inherit = node.get("inheritEnv");
      if (!absent(inherit)) {
        String inheritPath = path + ".inheritEnv";
        if (!inherit.isArray()) {
          throw fail(inheritPath, "must be an array of variable names like [\"PATH\", \"HOME\"], got " + describe(inherit));
        }
        List<String> names = strings(inherit, inheritPath);
        apply(inheritPath, () -> b.inheritEnv(names.toArray(new String[0])));
      }

      b.restartPolicy(policy(node, path));

      StopSignal signal = signal(node.get("stopSignal"), path + ".stopSignal");
      if (signal != null) {
        b.stopSignal(signal);
      }
      Duration grace = duration(node.get("stopGrace"), path + ".stopGrace", null);
      if (grace != null) {
        apply(path + ".stopGrace", () -> b.stopGrace(grace));
      }

      JsonNode deps = node.get("dependsOn");
      if (!absent(deps)) {
        String depsPath = path + ".dependsOn";
        if (!deps.isArray()) {
          throw fail(depsPath, "must be an array of child names like [\"db\"], got " + describe(deps));
        }
        List<String> names = strings(deps, depsPath);
        apply(depsPath, () -> b.dependsOn(names));
      }

      LogConfig logs = logs(node.get("logs"), path + ".logs");
      if (logs != null) {
        b.logs(logs);
      }

      Boolean notify = choice(node.get("readiness"), path + ".readiness", "readiness", Map.of("notify", Boolean.TRUE), null);
      Duration readyTimeout = duration(node.get("readyTimeout"), path + ".readyTimeout", null);
      if (readyTimeout != null && notify == null) {
        throw fail(path + ".readyTimeout", "only applies with \"readiness\": \"notify\"");
      }
      if (notify != null) {
        Duration t = readyTimeout != null ? readyTimeout : Duration.ofSeconds(30);
        apply(path + ".readyTimeout", () -> b.readinessNotify(t));
      }
      JsonNode socks = node.get("sockets");
      if (!absent(socks)) {
        String socksPath = path + ".sockets";
        if (!socks.isArray()) {
          throw fail(socksPath, "must be an array of addresses like [\"tcp:127.0.0.1:8080\", \"unix:run/web.sock\"], got "
              + describe(socks));
        }
        List<String> written = strings(socks, socksPath);
        List<String> resolved = new ArrayList<>(written.size());
        for (int i = 0; i < written.size(); i++) { // a relative unix path is the config file's, as workingDir is
          String w = written.get(i);
          int at = w.indexOf("unix:");
          String file = at < 0 ? "" : w.substring(at + 5);
          boolean relativeUnix = at >= 0 && (at == 0 || w.charAt(at - 1) == '=') && !file.isEmpty() && !file.startsWith("/")
              && file.indexOf('\0') < 0;
          resolved.add(relativeUnix ? w.substring(0, at + 5) + baseDir.resolve(file).normalize() : w);
        }
        apply(socksPath, () -> b.sockets(resolved));
      }
      JsonNode inst = node.get("instances");
      if (!absent(inst)) {
        if (!inst.isInt()) {
          throw fail(path + ".instances", "must be a whole number of instances (1..1000), got " + describe(inst));
        }
        apply(path + ".instances", () -> b.instances(inst.intValue()));
      }
      Duration watchdog = duration(node.get("watchdog"), path + ".watchdog", null);
      if (watchdog != null) {
        apply(path + ".watchdog", () -> b.watchdog(watchdog));
      }

      Privileges privileges = PrivilegeConfig.read(node, path, baseDir, this::fail);
      if (!privileges.isEmpty()) {
        b.privileges(privileges);
      }

      try {
        return b.build();
      } catch (IllegalArgumentException | IllegalStateException e) {
        throw fail(path, e.getMessage(), e);
      }
    }

    private StandardRestartPolicy policy(JsonNode node, String path) throws ConfigException {
      StandardRestartPolicy standard = RestartPolicy.standard();
      RestartMode mode = choice(node.get("restart"), path + ".restart", "restart mode", RESTART_MODES, standard.mode());

      String backoffPath = path + ".backoff";
      JsonNode bo = node.get("backoff");
      if (absent(bo)) {
        bo = MAPPER.createObjectNode();
      } else if (!bo.isObject()) {
        throw fail(backoffPath, "must be an object like {\"initial\": \"1s\", \"max\": \"30s\"}, got " + describe(bo));
      }
      checkFields(bo, backoffPath, BACKOFF_FIELDS);
      Duration initial = duration(bo.get("initial"), backoffPath + ".initial", Duration.ofSeconds(1));
      Duration max = duration(bo.get("max"), backoffPath + ".max", Duration.ofSeconds(30));
      double multiplier = number(bo.get("multiplier"), backoffPath + ".multiplier", 2.0, 1.0, Double.MAX_VALUE,
          "must be a number >= 1.0");
      double jitter = number(bo.get("jitter"), backoffPath + ".jitter", 0.0, 0.0, 1.0,
          "must be a number from 0.0 to 1.0");
      Backoff backoff;
      try {
        backoff = Backoff.exponential(initial, max, multiplier);
        if (jitter > 0) {
          backoff = backoff.withJitter(jitter);
        }
      } catch (IllegalArgumentException e) {
        throw fail(backoffPath, e.getMessage(), e);
      }

      Duration resetAfter = duration(node.get("resetAfter"), path + ".resetAfter", standard.backoffResetAfter());
      int maxRestarts = (int) integer(node.get("maxRestarts"), path + ".maxRestarts", standard.maxRestarts(),
          0, RestartContext.HISTORY_LIMIT, " (0 means restart forever)");
      String windowPath = path + ".window";
      Duration window = duration(node.get("window"), windowPath, standard.window());
      if (window.isZero()) {
        throw fail(windowPath, "must be longer than 0, e.g. \"60s\"");
      }

      try {
        StandardRestartPolicy p = standard.withMode(mode).withBackoff(backoff).withBackoffResetAfter(resetAfter);
        return maxRestarts == 0 ? p.restartForever() : p.giveUpAfter(maxRestarts, window);
      } catch (IllegalArgumentException e) {
        throw fail(path, e.getMessage(), e);
      }
    }

    private LogConfig logs(JsonNode node, String path) throws ConfigException {
      if (absent(node)) {
        return null;
      }
      if (node.isTextual() && node.textValue().equals("discard")) {
        return LogConfig.discard();
      }
      if (!node.isObject()) {
        throw fail(path, "must be an object like " + EXAMPLE_LOGS + " or the string \"discard\", got " + describe(node));
      }
      checkFields(node, path, LOGS_FIELDS);
      long maxBytes = integer(node.get("maxBytes"), path + ".maxBytes", LogConfig.DEFAULT_MAX_BYTES, 1, Long.MAX_VALUE, "");
      int keep = (int) integer(node.get("keep"), path + ".keep", LogConfig.DEFAULT_KEEP, 1, 1000, "");
      JsonNode gzipNode = node.get("gzip");
      boolean gzip = true;
      if (!absent(gzipNode)) {
        if (!gzipNode.isBoolean()) {
          throw fail(path + ".gzip", "must be true or false, got " + describe(gzipNode));
        }
        gzip = gzipNode.booleanValue();
      }
      try {
        return LogConfig.rotating(maxBytes, keep, gzip);
      } catch (IllegalArgumentException e) {
        throw fail(path, e.getMessage(), e);
      }
    }

    /** {@code web} with 2 instances runs as web-0 and web-1: no other child may be called so. */
    private void checkInstanceNames(List<ChildSpec> specs) throws ConfigException {
      Map<String, Integer> owner = new HashMap<>();
      for (int i = 0; i < specs.size(); i++) {
        for (String n : specs.get(i).runNames()) {
          Integer other = owner.putIfAbsent(n, i);
          if (other != null) {
            throw fail("children[" + i + "].name", Instances.clash(n, specs.get(other), specs.get(i)));
          }
        }
      }
    }

    private void checkDependencies(List<ChildSpec> specs, Map<String, Integer> indexByName) throws ConfigException {
      String known = specs.stream().map(ChildSpec::name).collect(Collectors.joining(", "));
      for (int i = 0; i < specs.size(); i++) {
        for (String dep : specs.get(i).dependsOn()) {
          if (!indexByName.containsKey(dep)) {
            throw fail("children[" + i + "].dependsOn", "unknown child '" + dep + "' (known children: " + known + ")");
          }
        }
      }
      Optional<String> shared = dev.supervisor.internal.ListenAddress.sharedAddress(specs);
      if (shared.isPresent()) {
        throw fail("children", shared.get());
      }
      Optional<List<String>> cycle = dev.supervisor.internal.DependencyOrder.findCycle(specs);
      if (cycle.isPresent()) {
        throw fail("children[" + indexByName.get(cycle.get().get(0)) + "].dependsOn",
            "dependency cycle " + String.join(" -> ", cycle.get()) + "; remove one of these dependencies");
      }
    }

    // -------------------------------------------------------- values
  }
}
