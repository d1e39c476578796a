package dev.supervisor.examples.tools;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The validator's rules, first match wins, deny by default. A rule names a tool, whether it
 * allows, and either path globs ({@code ${workspace}} stands for the workspace) or exact
 * commands ({@code argv[0]}). Immutable.
 */
public final class Policy {
  /** A rule's verdict on an intent. */
  public record Decision(boolean allowed, String rule, String reason) {}

  private record Rule(String name, String tool, boolean allow, List<PathMatcher> paths, List<String> pathText, List<String> commands) {}

  /** The policy written on first start: files inside the workspace, a few harmless commands, nothing else. */
  public static final String DEFAULT = String.join("\n",
      "{\"rules\": [",
      "  {\"name\": \"read-workspace\",  \"tool\": \"read\",  \"allow\": true, \"paths\": [\"${workspace}/**\"]},",
      "  {\"name\": \"write-workspace\", \"tool\": \"write\", \"allow\": true, \"paths\": [\"${workspace}/**\"]},",
      "  {\"name\": \"list-workspace\",  \"tool\": \"list\",  \"allow\": true, \"paths\": [\"${workspace}\", \"${workspace}/**\"]},",
      "  {\"name\": \"exec-harmless\",   \"tool\": \"exec\",  \"allow\": true, \"commands\": [\"echo\", \"ls\", \"date\", \"pwd\", \"true\"]}",
      "]}", "");

  private final List<Rule> rules;

  private Policy(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  /**
   * Loads {@code file}, writing {@link #DEFAULT} there first if it does not exist.
   *
   * @throws IOException naming the file and what is wrong with it
   */
  public static Policy load(Path file, Path workspace) throws IOException {
    if (!Files.exists(file)) {
      Files.writeString(file, DEFAULT);
    }
    JsonNode root;
    try {
      root = Jsons.MAPPER.readTree(file.toFile());
    } catch (IOException e) {
      throw new IOException("policy " + file + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""), e);
    }
    return parse(root, workspace, file.toString());
  }

  static Policy parse(JsonNode root, Path workspace, String source) throws IOException {
    JsonNode arr = root == null ? null : root.get("rules");
    if (arr == null || !arr.isArray()) {
      throw new IOException(source + ": needs a \"rules\" array");
    }
    List<Rule> rules = new ArrayList<>();
    int i = 0;
    for (JsonNode r : arr) {
      String where = source + ": rules[" + i++ + "]";
      String tool = r.path("tool").asText("");
      if (!Intent.TOOLS.contains(tool)) {
        throw new IOException(where + ".tool: must be one of read, write, list, exec");
      }
      List<PathMatcher> matchers = new ArrayList<>();
      List<String> text = new ArrayList<>();
      for (JsonNode p : r.path("paths")) {
        String glob = p.asText().replace("${workspace}", workspace.toString());
        text.add(glob);
        matchers.add(FileSystems.getDefault().getPathMatcher("glob:" + glob));
      }
      List<String> commands = new ArrayList<>();
      r.path("commands").forEach(c -> commands.add(c.asText()));
      if (tool.equals("exec") ? commands.isEmpty() : matchers.isEmpty()) {
        throw new IOException(where + ": an " + tool + " rule needs " + (tool.equals("exec") ? "\"commands\"" : "\"paths\""));
      }
      rules.add(new Rule(r.path("name").asText("rule-" + (i - 1)), tool, r.path("allow").asBoolean(false), matchers, text, commands));
    }
    return new Policy(rules);
  }

  /** The first matching rule's verdict, or a deny by {@code default-deny}. The intent must be resolved. */
  public Decision decide(Intent intent) {
    for (Rule r : rules) {
      if (!r.tool().equals(intent.tool())) {
        continue;
      }
      Optional<String> match = matches(r, intent);
      if (match.isPresent()) {
        return new Decision(r.allow(), r.name(), (r.allow() ? "allowed by " : "denied by ") + r.name() + " (" + match.get() + ")");
      }
    }
    return new Decision(false, "default-deny", "no rule allows " + intent + "; deny by default");
  }

  private static Optional<String> matches(Rule r, Intent intent) {
    if (intent.tool().equals("exec")) {
      return r.commands().contains(intent.argv().get(0)) ? Optional.of("command " + intent.argv().get(0)) : Optional.empty();
    }
    Path p = intent.path().get();
    for (int i = 0; i < r.paths().size(); i++) {
      if (r.paths().get(i).matches(p)) {
        return Optional.of("path " + r.pathText().get(i));
      }
    }
    return Optional.empty();
  }
}
