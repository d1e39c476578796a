package dev.supervisor.internal.config;


import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.supervisor.ConfigException;
import dev.supervisor.Durations;
import dev.supervisor.StopSignal;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The typed reads of one JSON tree and their errors: every message names the source, the JSON
 * path and what was found, and suggests the member a misspelt key most likely meant. {@link
 * ConfigReader} and {@link PrivilegeConfig} read the schema with it.
 */
class JsonFields {
  private static final Pattern SIMPLE_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern JACKSON_LOCATION =
      Pattern.compile("\\[Source: [^\\]]*?; line: (\\d+), column: (\\d+)\\]");

  final String source;
  final Path file;

  JsonFields(String source, Path file) {
    this.source = source;
    this.file = file;
  }

  void checkFields(JsonNode object, String path, List<String> allowed) throws ConfigException {
    for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!allowed.contains(key)) {
        String guess = closest(key, allowed);
        throw fail(member(path, key), "unknown field" + (guess == null ? "" : "; did you mean '" + guess + "'?")
            + " (allowed: " + String.join(", ", allowed) + ")");
      }
    }
  }

  String string(JsonNode node, String path) throws ConfigException {
    if (!node.isTextual()) {
      throw fail(path, "must be a string, got " + describe(node) + quoteHint(node));
    }
    return node.textValue();
  }

  List<String> strings(JsonNode array, String path) throws ConfigException {
    List<String> out = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      out.add(string(array.get(i), path + "[" + i + "]"));
    }
    return out;
  }

  <T> T choice(JsonNode node, String path, String what, Map<String, T> values, T dflt) throws ConfigException {
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

  StopSignal signal(JsonNode node, String path) throws ConfigException {
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

  Duration duration(JsonNode node, String path, Duration dflt) throws ConfigException {
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

  long integer(JsonNode node, String path, long dflt, long min, long max, String note) throws ConfigException {
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

  double number(JsonNode node, String path, double dflt, double min, double max, String rule)
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

  void checkNumber(JsonNode node, String path) throws ConfigException {
    if (!node.isNumber()) {
      throw fail(path, "must be a number, got " + describe(node)
          + (node.isTextual() ? " (remove the quotes)" : ""));
    }
  }

  /** Runs a builder call, turning its IllegalArgumentException into a ConfigException at {@code path}. */
  void apply(String path, Runnable call) throws ConfigException {
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

  static boolean absent(JsonNode node) {
    return node == null || node.isNull() || node.isMissingNode();
  }

  static Path currentDirectory() {
    return Path.of("").toAbsolutePath();
  }

  /** {@code parent.key}, or {@code parent["odd key"]} when the key is not a plain identifier. */
  static String member(String parent, String key) {
    if (SIMPLE_KEY.matcher(key).matches()) {
      return parent.isEmpty() ? key : parent + "." + key;
    }
    return parent + "[" + TextNode.valueOf(key) + "]";
  }

  /** The path of the parser's current position in our notation, e.g. {@code children[0].name}. */
  static String path(JsonStreamContext context) {
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

  static String quoteHint(JsonNode node) {
    return node.isNumber() || node.isBoolean() ? " (quote it: \"" + node + "\")" : "";
  }

  static String describe(IOException e) {
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
  static String closest(String key, List<String> allowed) {
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
  static int distance(String a, String b) {
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

  static <T> Map<String, T> orderedMap(String k1, T v1, String k2, T v2, String k3, T v3) {
    Map<String, T> m = new LinkedHashMap<>();
    m.put(k1, v1);
    m.put(k2, v2);
    m.put(k3, v3);
    return java.util.Collections.unmodifiableMap(m);
  }
}
