package dev.supervisor;

import dev.supervisor.internal.engine.Instances;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** An immutable supervisor config read from JSON: {@code {"strategy":"one-for-one","children":[{"name":"w1","command":["sleep","100"],"workingDir":null,"env":{},"inheritEnv":["PATH","HOME","LANG","TZ"],"restart":"on-failure","backoff":{"initial":"1s","max":"30s","multiplier":2.0,"jitter":0.0},"resetAfter":"60s","maxRestarts":5,"window":"60s","stopSignal":"TERM","stopGrace":"10s","dependsOn":[],"logs":{"maxBytes":10485760,"keep":7,"gzip":true}}]}} (only name and command are required; see {@link #parse(String, String)}). */
public final class SupervisorConfig {
  /** Threadsafe once configured. Duplicate keys and anything after the top-level value are errors. */
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private static final List<String> TOP_FIELDS = List.of("strategy", "children");
  private static final List<String> CHILD_FIELDS = List.of("name", "command", "workingDir", "env", "inheritEnv",
      "restart", "backoff", "resetAfter", "maxRestarts", "window", "stopSignal", "stopGrace", "dependsOn", "logs",
      "readiness", "readyTimeout", "watchdog", "instances", "user", "group", "umask", "noNewPrivileges", "capabilities",
      "limits", "permissions", "enforce");
  private static final List<String> BACKOFF_FIELDS = List.of("initial", "max", "multiplier", "jitter");
  private static final List<String> LOGS_FIELDS = List.of("maxBytes", "keep", "gzip");

  private static final Map<String, Strategy> STRATEGIES = orderedMap(
      "one-for-one", Strategy.ONE_FOR_ONE, "one-for-all", Strategy.ONE_FOR_ALL, "rest-for-one", Strategy.REST_FOR_ONE);
  private static final Map<String, RestartMode> RESTART_MODES = orderedMap(
      "always", RestartMode.ALWAYS, "on-failure", RestartMode.ON_FAILURE, "never", RestartMode.NEVER);

  private static final String EXAMPLE_CHILD = "{\"name\": \"w1\", \"command\": [\"sleep\", \"100\"]}";
  private static final String EXAMPLE_COMMAND = "[\"sleep\", \"100\"]";
  private static final String EXAMPLE_LOGS = "{\"maxBytes\": 10485760, \"keep\": 7, \"gzip\": true}";
  private static final Pattern SIMPLE_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern JACKSON_LOCATION =
      Pattern.compile("\\[Source: [^\\]]*?; line: (\\d+), column: (\\d+)\\]");

  private final Strategy strategy;
  private final List<ChildSpec> children;

  private SupervisorConfig(Strategy strategy, List<ChildSpec> children) {
    this.strategy = strategy;
    this.children = List.copyOf(children);
  }

  /**
   * Reads and validates the config in {@code file} (UTF-8 JSON, see {@link #parse(String, String)}).
   * Messages start with {@code file} as given; relative {@code workingDir}s resolve against the
   * directory that holds {@code file}.
   *
   * @param file the config file
   * @return the config
   * @throws ConfigException if the file cannot be read ({@code cannot read config FILE: ...}), is not
   *     well-formed JSON or does not follow the schema; {@link ConfigException#file()} is {@code file}
   * @throws NullPointerException if {@code file} is null
   */
  public static SupervisorConfig load(Path file) throws ConfigException {
    Objects.requireNonNull(file, "file");
    if (Files.isDirectory(file)) {
      throw new ConfigException("cannot read config " + file + ": it is a directory; give the JSON file", file, "", null);
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ConfigException("cannot read config " + file + ": " + describe(e), file, "", e);
    }
    Path parent = file.toAbsolutePath().getParent();
    Reader reader = new Reader(file.toString(), file, parent != null ? parent : currentDirectory());
    JsonNode root;
    try {
      root = MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw reader.malformed(e);
    }
    return reader.config(root);
  }

  /**
   * Parses and validates a config.
   *
   * <p>Top level: {@code "strategy"} ({@code one-for-one} (default), {@code one-for-all},
   * {@code rest-for-one}) and {@code "children"}, a non-empty array of child objects. A child has a
   * {@code "name"} (unique, 1 to 64 of {@code [a-z0-9._-]} starting with a letter or a digit, not one
   * of {@link ChildSpec#RESERVED_NAMES}, and with {@code "instances"} at most 60 and clashing with no
   * other child's name: see {@link ChildSpec#NAME}) and a {@code "command"} (a non-empty array of
   * strings, never run through a shell); every other member is optional, and null means the
   * default: {@code "workingDir"} (relative paths resolve against the current directory),
   * {@code "env"} (an object of strings), {@code "inheritEnv"} (replaces the default allow-list
   * {@code PATH HOME LANG TZ}), {@code "restart"} ({@code always}, {@code on-failure} (default),
   * {@code never}), {@code "backoff"} (exponential; {@code initial} 1s, {@code max} 30s,
   * {@code multiplier} 2.0, {@code jitter} 0.0 in [0, 1]), {@code "resetAfter"} (60s),
   * {@code "maxRestarts"} (5 in {@code "window"} 60s; 0 restarts forever), {@code "stopSignal"}
   * ({@code TERM}, {@code INT}, {@code HUP}, {@code QUIT}, {@code USR1}, {@code USR2}, {@code KILL}, any
   * case, with or without {@code SIG}), {@code "stopGrace"} (10s), {@code "dependsOn"} (names of
   * other children, no cycles), {@code "logs"} (an object with {@code maxBytes} 10485760,
   * {@code keep} 7, {@code gzip} true, or the string {@code "discard"}), {@code "readiness"}
   * ({@code "notify"}: READY when it sends {@code READY=1} on its {@code NOTIFY_SOCKET}, within
   * {@code "readyTimeout"}, 30s), {@code "watchdog"} (it must send {@code WATCHDOG=1} this often), and the
   * least-privilege fields {@code "user"}, {@code "group"}, {@code "umask"}, {@code "noNewPrivileges"},
   * {@code "capabilities"}, {@code "limits"}, {@code "permissions"} and {@code "enforce"} (see
   * {@link Privileges}; a control this host cannot enforce is an error unless {@code "enforce"} is
   * {@code "best-effort"}). Durations are strings such
   * as {@code "250ms"}, {@code "1.5s"}, {@code "5m"}, {@code "2h"}, {@code "1d"}. Unknown members
   * and duplicate keys are errors.
   *
   * @param json the JSON text
   * @param sourceName what to call the config in messages, e.g. its file name
   * @return the config
   * @throws ConfigException if {@code json} is not well-formed JSON or does not follow the schema;
   *     the message starts with {@code sourceName} and {@link ConfigException#file()} is empty
   * @throws NullPointerException if an argument is null
   */
  public static SupervisorConfig parse(String json, String sourceName) throws ConfigException {
    Objects.requireNonNull(json, "json");
    Objects.requireNonNull(sourceName, "sourceName");
    Reader reader = new Reader(sourceName, null, currentDirectory());
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (IOException e) {
      throw reader.malformed(e);
    }
    return reader.config(root);
  }

  /** The restart strategy. */
  public Strategy strategy() {
    return strategy;
  }

  /** The children in declaration order (unmodifiable). */
  public List<ChildSpec> children() {
    return children;
  }

  /**
   * Sets the strategy of {@code builder} and adds the children to it.
   *
   * @param builder the builder to configure
   * @return {@code builder}
   * @throws NullPointerException if {@code builder} is null
   */
  public Supervisor.Builder applyTo(Supervisor.Builder builder) {
    Objects.requireNonNull(builder, "builder");
    return builder.strategy(strategy).children(children);
  }

  @Override
  public String toString() {
    return "SupervisorConfig[" + strategy + ", children " + children.stream().map(ChildSpec::name).toList() + "]";
  }

  // ========================================================== reading

  /** Walks one JSON tree; every error names the source and the JSON path. */
  private static final class Reader {
    private final String source;
    private final Path file;
    private final Path baseDir;

    Reader(String source, Path file, Path baseDir) {
      this.source = source;
      this.file = file;
      this.baseDir = baseDir;
    }

    SupervisorConfig config(JsonNode root) throws ConfigException {
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
      return new SupervisorConfig(strategy, specs);
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
      Optional<List<String>> cycle = dev.supervisor.internal.DependencyOrder.findCycle(specs);
      if (cycle.isPresent()) {
        throw fail("children[" + indexByName.get(cycle.get().get(0)) + "].dependsOn",
            "dependency cycle " + String.join(" -> ", cycle.get()) + "; remove one of these dependencies");
      }
    }

    // -------------------------------------------------------- values

    private void checkFields(JsonNode object, String path, List<String> allowed) throws ConfigException {
      for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        if (!allowed.contains(key)) {
          String guess = closest(key, allowed);
          throw fail(member(path, key), "unknown field" + (guess == null ? "" : "; did you mean '" + guess + "'?")
              + " (allowed: " + String.join(", ", allowed) + ")");
        }
      }
    }

    private String string(JsonNode node, String path) throws ConfigException {
      if (!node.isTextual()) {
        throw fail(path, "must be a string, got " + describe(node) + quoteHint(node));
      }
      return node.textValue();
    }

    private List<String> strings(JsonNode array, String path) throws ConfigException {
      List<String> out = new ArrayList<>(array.size());
      for (int i = 0; i < array.size(); i++) {
        out.add(string(array.get(i), path + "[" + i + "]"));
      }
      return out;
    }

    private <T> T choice(JsonNode node, String path, String what, Map<String, T> values, T dflt) throws ConfigException {
      if (absent(node)) {
        return dflt;
      }
      String allowed = String.join(", ", values.keySet());
      if (!node.isTextual()) {
        throw fail(path, "must be one of " + allowed + ", got " + describe(node));
      }
      T value = values.get(node.textValue());
      if (value == null) {
        throw fail(path, "unknown " + what + " '" + node.textValue() + "' (allowed: " + allowed + ")");
      }
      return value;
    }

    private StopSignal signal(JsonNode node, String path) throws ConfigException {
      if (absent(node)) {
        return null;
      }
      String allowed = Arrays.stream(StopSignal.values()).map(Enum::name).collect(Collectors.joining(", "));
      if (!node.isTextual()) {
        throw fail(path, "must be a signal name (" + allowed + "), got " + describe(node));
      }
      String name = node.textValue().trim().toUpperCase(Locale.ROOT);
      if (name.startsWith("SIG")) {
        name = name.substring(3);
      }
      for (StopSignal s : StopSignal.values()) {
        if (s.name().equals(name)) {
          return s;
        }
      }
      throw fail(path, "unknown signal '" + node.textValue() + "' (allowed: " + allowed + ", with or without a SIG prefix)");
    }

    private Duration duration(JsonNode node, String path, Duration dflt) throws ConfigException {
      if (absent(node)) {
        return dflt;
      }
      if (!node.isTextual()) {
        throw fail(path, "must be a duration string like \"10s\", got " + describe(node));
      }
      try {
        return Durations.parse(node.textValue());
      } catch (IllegalArgumentException e) {
        throw fail(path, e.getMessage(), e);
      }
    }

    private long integer(JsonNode node, String path, long dflt, long min, long max, String note) throws ConfigException {
      if (absent(node)) {
        return dflt;
      }
      checkNumber(node, path);
      if (!node.isIntegralNumber()) {
        throw fail(path, "must be a whole number, got " + node + note);
      }
      if (!node.canConvertToLong()) {
        throw fail(path, (node.bigIntegerValue().signum() < 0 ? "must not be negative" : "must be at most " + max)
            + ", got " + node + note);
      }
      long v = node.longValue();
      if (v < 0) {
        throw fail(path, "must not be negative, got " + v + note);
      }
      if (v < min) {
        throw fail(path, "must be at least " + min + ", got " + v + note);
      }
      if (v > max) {
        throw fail(path, "must be at most " + max + ", got " + v + note);
      }
      return v;
    }

    private double number(JsonNode node, String path, double dflt, double min, double max, String rule)
        throws ConfigException {
      if (absent(node)) {
        return dflt;
      }
      checkNumber(node, path);
      double v = node.doubleValue();
      if (!Double.isFinite(v) || v < min || v > max) {
        throw fail(path, rule + ", got " + node);
      }
      return v;
    }

    private void checkNumber(JsonNode node, String path) throws ConfigException {
      if (!node.isNumber()) {
        throw fail(path, "must be a number, got " + describe(node)
            + (node.isTextual() ? " (remove the quotes)" : ""));
      }
    }

    /** Runs a builder call, turning its IllegalArgumentException into a ConfigException at {@code path}. */
    private void apply(String path, Runnable call) throws ConfigException {
      try {
        call.run();
      } catch (IllegalArgumentException | IllegalStateException e) {
        throw fail(path, e.getMessage(), e);
      }
    }

    // -------------------------------------------------------- errors

    ConfigException fail(String field, String problem) {
      return fail(field, problem, null);
    }

    ConfigException fail(String field, String problem, Throwable cause) {
      String message = source + ": " + (field.isEmpty() ? "" : field + ": ") + problem;
      return new ConfigException(message, file, field, cause);
    }

    /** A readable message for Jackson's syntax errors: the location, then what is wrong. */
    ConfigException malformed(IOException e) {
      if (!(e instanceof JsonProcessingException jpe)) {
        return fail("", "cannot read JSON: " + describe(e), e);
      }
      String original = jpe.getOriginalMessage() == null ? e.getClass().getSimpleName() : jpe.getOriginalMessage();
      JsonLocation loc = jpe.getLocation();
      String where = loc != null && loc.getLineNr() > 0 ? "line " + loc.getLineNr() + ", column " + loc.getColumnNr() : "";
      if (original.startsWith("Duplicate field") && jpe.getProcessor() instanceof JsonParser parser) {
        String field = path(parser.getParsingContext());
        return fail(field, "duplicate field" + (where.isEmpty() ? "" : " at " + where) + "; remove one of the two", e);
      }
      String problem = original.startsWith("Trailing token")
          ? "unexpected content after the top-level object; a config holds exactly one object"
          : JACKSON_LOCATION.matcher(original).replaceAll("line $1, column $2");
      return fail("", (where.isEmpty() ? "" : where + ": ") + "malformed JSON: " + problem, e);
    }
  }

  // ========================================================== helpers

  private static boolean absent(JsonNode node) {
    return node == null || node.isNull() || node.isMissingNode();
  }

  private static Path currentDirectory() {
    return Path.of("").toAbsolutePath();
  }

  /** {@code parent.key}, or {@code parent["odd key"]} when the key is not a plain identifier. */
  private static String member(String parent, String key) {
    if (SIMPLE_KEY.matcher(key).matches()) {
      return parent.isEmpty() ? key : parent + "." + key;
    }
    return parent + "[" + TextNode.valueOf(key) + "]";
  }

  /** The path of the parser's current position in our notation, e.g. {@code children[0].name}. */
  private static String path(JsonStreamContext context) {
    List<JsonStreamContext> chain = new ArrayList<>();
    for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
      chain.add(0, c);
    }
    String path = "";
    for (JsonStreamContext c : chain) {
      if (c.inArray()) {
        path += "[" + Math.max(0, c.getCurrentIndex()) + "]";
      } else if (c.getCurrentName() != null) {
        path = member(path, c.getCurrentName());
      }
    }
    return path;
  }

  /** What a JSON value is, for "got ..." in messages: {@code string "x"}, {@code number 5}, {@code an array}. */
  static String describe(JsonNode node) {
    if (node.isTextual()) {
      String json = node.toString();
      return "string " + (json.length() > 42 ? json.substring(0, 39) + "...\"" : json);
    }
    if (node.isNumber()) {
      return "number " + node;
    }
    if (node.isBoolean()) {
      return "boolean " + node;
    }
    if (node.isNull()) {
      return "null";
    }
    if (node.isArray()) {
      return "an array";
    }
    if (node.isObject()) {
      return "an object";
    }
    return node.getNodeType().toString().toLowerCase(Locale.ROOT);
  }

  private static String quoteHint(JsonNode node) {
    return node.isNumber() || node.isBoolean() ? " (quote it: \"" + node + "\")" : "";
  }

  private static String describe(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof FileSystemException fse && fse.getReason() != null) {
      return fse.getReason();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  /** The allowed name {@code key} is most likely a typo of, or null. */
  private static String closest(String key, List<String> allowed) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String name : allowed) {
      int d = name.equalsIgnoreCase(key) ? 0 : distance(key.toLowerCase(Locale.ROOT), name.toLowerCase(Locale.ROOT));
      if (d < bestDistance) {
        best = name;
        bestDistance = d;
      }
    }
    return bestDistance <= Math.min(2, Math.max(0, key.length() - 2)) ? best : null;
  }

  /** Levenshtein distance. */
  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  private static <T> Map<String, T> orderedMap(String k1, T v1, String k2, T v2, String k3, T v3) {
    Map<String, T> m = new LinkedHashMap<>();
    m.put(k1, v1);
    m.put(k2, v2);
    m.put(k3, v3);
    return java.util.Collections.unmodifiableMap(m);
  }
}
