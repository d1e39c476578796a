package dev.supervisor.examples.tools;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.PatternSyntaxException;

/**
 * The validator's rules: first match wins, deny by default. Immutable and threadsafe.
 *
 * <pre>{@code
 * {"path": "/usr/local/bin:/usr/bin:/bin",
 *  "rules": [
 *   {"name": "read-workspace", "tool": "read", "allow": true, "paths": ["${workspace}/**"]},
 *   {"name": "exec-ls", "tool": "exec", "allow": true, "command": "ls",
 *    "flags": ["-l", "-a"], "args": "workspace-paths"},
 *   {"name": "no-rm", "tool": "exec", "allow": false, "command": "rm"}]}
 * }</pre>
 *
 * <ul>
 *   <li>{@code path} (optional, default {@value CommandPath#DEFAULT}): absolute directories where
 *       a command name is looked up; never the {@code PATH} of the caller or the daemon. The
 *       executor runs the binary found here, by its absolute path, with this as its {@code PATH}.
 *   <li>{@code rules[].tool}: {@code read}, {@code write}, {@code list} or {@code exec};
 *       {@code allow}: a boolean, default false; {@code name}: shown in decisions and the audit log.
 *   <li>{@code paths} (file tools): globs over the intent's absolute, normalized path. A pattern
 *       that starts with {@code ${workspace}} is checked in two steps: the path must lie under
 *       the workspace ({@link Path#startsWith}, no glob, so a home such as {@code /tmp/x[1]}
 *       works), then the rest of the pattern is a glob over the path relative to the
 *       workspace; {@code ${workspace}} alone matches the workspace itself. Elsewhere in a
 *       pattern {@code ${workspace}} stands for the workspace with its glob characters escaped.
 *   <li>{@code command} (exec): a command name, compared with {@code argv[0]}, which must be a
 *       bare name too ({@code ls}, never {@code /tmp/ls}).
 *   <li>{@code flags} (exec allow rules, default none): the options the command may get, each
 *       one exactly ({@code "-l"}, {@code "--utc"}), or a pattern with {@code *}
 *       ({@code "--color=*"}). List only options that take no value. {@code -la} is read as
 *       {@code -l -a}; a long option is matched whole; anything else that starts with {@code -}
 *       before {@code --} is refused.
 *   <li>{@code args} (exec allow rules, required): the operands: {@code "none"};
 *       {@code "workspace-paths"} (each must resolve inside the workspace: relative ones
 *       against it, the executor's working directory; existing ones with their links resolved,
 *       so neither {@code ..} nor a link leaves it); a list of patterns in which {@code *}
 *       matches anything ({@code ["+*"]}: only {@code +FORMAT}); or {@code "any"}: every
 *       argument, options included, for commands that touch nothing ({@code echo}).
 *       Everything after {@code --} is an operand.
 *   <li>A deny exec rule names only its command and matches it with any arguments.
 * </ul>
 *
 * <p>The old exec form {@code "commands": [...]} (a name allowed any arguments) is refused with
 * an error naming the file and the field; {@link #installDefault} replaces a file that still
 * holds the old built-in default, unedited, with {@link #DEFAULT}. Unknown fields are refused.
 */
public final class Policy {
  /**
   * A verdict on an intent.
   *
   * @param executable for an allowed exec, the binary the policy's path resolves its command to
   */
  public record Decision(boolean allowed, String rule, String reason, Optional<Path> executable) {}

  private record PathPattern(String text, Predicate<Path> test) {}

  private record Rule(String name, String tool, boolean allow, List<PathPattern> paths, ExecRule exec) {}

  private static final String WORKSPACE = "${workspace}";
  private static final Set<String> TOP_FIELDS = Set.of("path", "rules");
  private static final Set<String> FILE_RULE_FIELDS = Set.of("name", "tool", "allow", "paths");
  private static final Set<String> EXEC_RULE_FIELDS = Set.of("name", "tool", "allow", "command", "flags", "args");

  /**
   * The policy written on first start: files inside the workspace, and commands that neither
   * read nor write outside it nor change the system.
   */
  public static final String DEFAULT = String.join("\n",
      "{\"path\": \"" + CommandPath.DEFAULT + "\",",
      " \"rules\": [",
      "  {\"name\": \"read-workspace\",  \"tool\": \"read\",  \"allow\": true, \"paths\": [\"${workspace}/**\"]},",
      "  {\"name\": \"write-workspace\", \"tool\": \"write\", \"allow\": true, \"paths\": [\"${workspace}/**\"]},",
      "  {\"name\": \"list-workspace\",  \"tool\": \"list\",  \"allow\": true, \"paths\": [\"${workspace}\", \"${workspace}/**\"]},",
      "  {\"name\": \"exec-echo\", \"tool\": \"exec\", \"allow\": true, \"command\": \"echo\", \"args\": \"any\"},",
      "  {\"name\": \"exec-true\", \"tool\": \"exec\", \"allow\": true, \"command\": \"true\", \"args\": \"none\"},",
      "  {\"name\": \"exec-pwd\",  \"tool\": \"exec\", \"allow\": true, \"command\": \"pwd\", \"flags\": [\"-L\", \"-P\"], \"args\": \"none\"},",
      "  {\"name\": \"exec-date\", \"tool\": \"exec\", \"allow\": true, \"command\": \"date\",",
      "   \"flags\": [\"-u\", \"--utc\", \"--universal\", \"-R\", \"--rfc-email\"], \"args\": [\"+*\"]},",
      "  {\"name\": \"exec-ls\",   \"tool\": \"exec\", \"allow\": true, \"command\": \"ls\",",
      "   \"flags\": [\"-l\", \"-a\", \"-A\", \"-1\", \"-h\", \"-t\", \"-r\", \"-S\", \"-F\", \"-d\", \"-R\", \"-i\", \"-s\", \"-n\"],",
      "   \"args\": \"workspace-paths\"}",
      "]}", "");

  /**
   * What {@link #DEFAULT} was before exec rules declared their arguments, byte for byte: a file
   * that still holds it was never edited, so {@link #installDefault} may replace it.
   */
  public static final String PREVIOUS_DEFAULT = String.join("\n",
      "{\"rules\": [",
      "  {\"name\": \"read-workspace\",  \"tool\": \"read\",  \"allow\": true, \"paths\": [\"${workspace}/**\"]},",
      "  {\"name\": \"write-workspace\", \"tool\": \"write\", \"allow\": true, \"paths\": [\"${workspace}/**\"]},",
      "  {\"name\": \"list-workspace\",  \"tool\": \"list\",  \"allow\": true, \"paths\": [\"${workspace}\", \"${workspace}/**\"]},",
      "  {\"name\": \"exec-harmless\",   \"tool\": \"exec\",  \"allow\": true, \"commands\": [\"echo\", \"ls\", \"date\", \"pwd\", \"true\"]}",
      "]}", "");

  private final CommandPath path;
  private final Path workspace;
  private final List<Rule> rules;

  private Policy(CommandPath path, Path workspace, List<Rule> rules) {
    this.path = path;
    this.workspace = workspace;
    this.rules = List.copyOf(rules);
  }

  /**
   * Writes {@link #DEFAULT} to {@code file} if it does not exist, or if it still holds the
   * previous built-in default unedited (then says so through {@code log}). The launcher calls
   * this before the children start, so that they only ever read the policy.
   *
   * @throws IOException if the file cannot be read or written
   */
  public static void installDefault(Path file, Consumer<String> log) throws IOException {
    if (!Files.exists(file)) {
      PrivateFiles.write(file, DEFAULT.getBytes(StandardCharsets.UTF_8));
    } else if (Files.readString(file).equals(PREVIOUS_DEFAULT)) {
      PrivateFiles.write(file, DEFAULT.getBytes(StandardCharsets.UTF_8));
      log.accept("replaced the previous built-in policy in " + file + " (its exec rule allowed any arguments,"
          + " so 'date -f FILE' printed any file) with the new default");
    }
  }

  /**
   * Reads {@code file}; nothing is written.
   *
   * @throws IOException naming the file, the field and what is wrong with it
   */
  public static Policy load(Path file, Path workspace) throws IOException {
    JsonNode root;
    try {
      root = Jsons.MAPPER.readTree(file.toFile());
    } catch (NoSuchFileException | java.io.FileNotFoundException e) {
      throw new IOException("policy " + file + " does not exist: 'agentd daemon run' writes the default there", e);
    } catch (IOException e) {
      throw new IOException("policy " + file + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""), e);
    }
    return parse(root, workspace, file.toString());
  }

  static Policy parse(JsonNode root, Path workspace, String source) throws IOException {
    Path ws = workspace.toAbsolutePath().normalize();
    JsonNode arr = root == null ? null : root.get("rules");
    if (arr == null || !arr.isArray()) {
      throw new IOException(source + ": needs a \"rules\" array");
    }
    unknownFields(root, TOP_FIELDS, source + ": ");
    CommandPath path;
    try {
      path = CommandPath.parse(root.path("path").asText(CommandPath.DEFAULT));
    } catch (IllegalArgumentException e) {
      throw new IOException(source + ": path: " + e.getMessage());
    }
    List<Rule> rules = new ArrayList<>();
    for (int i = 0; i < arr.size(); i++) {
      JsonNode r = arr.get(i);
      String where = source + ": rules[" + i + "]";
      String tool = r.path("tool").asText("");
      if (!Intent.TOOLS.contains(tool)) {
        throw new IOException(where + ".tool: must be one of read, write, list, exec");
      }
      JsonNode allowNode = r.path("allow");
      if (!allowNode.isMissingNode() && !allowNode.isBoolean()) {
        throw new IOException(where + ".allow: must be true or false, not " + allowNode);
      }
      boolean allow = allowNode.asBoolean(false);
      String name = r.path("name").asText("rule-" + i);
      if (tool.equals("exec")) {
        ExecRule exec = ExecRule.parse(r, allow, where);
        unknownFields(r, EXEC_RULE_FIELDS, where + ".");
        rules.add(new Rule(name, tool, allow, List.of(), exec));
      } else {
        unknownFields(r, FILE_RULE_FIELDS, where + ".");
        List<PathPattern> patterns = new ArrayList<>();
        JsonNode ps = r.path("paths");
        for (int j = 0; j < ps.size(); j++) {
          try {
            patterns.add(compile(ps.get(j).asText(), ws));
          } catch (PatternSyntaxException e) {
            throw new IOException(where + ".paths[" + j + "]: bad glob: " + e.getDescription());
          }
        }
        if (patterns.isEmpty()) {
          throw new IOException(where + ": a " + tool + " rule needs \"paths\", e.g. [\"${workspace}/**\"]");
        }
        rules.add(new Rule(name, tool, allow, patterns, null));
      }
    }
    return new Policy(path, ws, rules);
  }

  private static void unknownFields(JsonNode n, Set<String> known, String prefix) throws IOException {
    for (Iterator<String> it = n.fieldNames(); it.hasNext();) {
      String f = it.next();
      if (!known.contains(f)) {
        throw new IOException(prefix + f + ": unknown field (known: " + String.join(", ", known.stream().sorted().toList()) + ")");
      }
    }
  }

  private static PathPattern compile(String text, Path ws) {
    if (text.equals(WORKSPACE)) {
      return new PathPattern(ws.toString(), p -> p.equals(ws));
    }
    String rest = text.startsWith(WORKSPACE + "/") ? text.substring(WORKSPACE.length() + 1) : null;
    if (rest != null && !rest.contains(WORKSPACE)) {
      PathMatcher m = glob(rest);
      return new PathPattern(ws + "/" + rest, p -> p.startsWith(ws) && !p.equals(ws) && m.matches(ws.relativize(p)));
    }
    PathMatcher m = glob(text.replace(WORKSPACE, escapeGlob(ws.toString())));
    return new PathPattern(text.replace(WORKSPACE, ws.toString()), m::matches);
  }

  private static PathMatcher glob(String glob) {
    return FileSystems.getDefault().getPathMatcher("glob:" + glob);
  }

  /**
   * {@code text} as a glob that matches exactly {@code text}: {@code \ * ? [ ] { }} escaped with a
   * backslash, and {@code ,} too, which separates alternatives inside {@code { }}.
   */
  static String escapeGlob(String text) {
    StringBuilder sb = new StringBuilder();
    for (char c : text.toCharArray()) {
      if ("\\*?[]{},".indexOf(c) >= 0) {
        sb.append('\\');
      }
      sb.append(c);
    }
    return sb.toString();
  }

  /**
   * The binaries the allow rules' commands resolve to on the policy's path: what the executor
   * may execute at all (its Landlock rules, JDK 22+), in rule order, without duplicates.
   */
  public List<Path> allowedExecutables() {
    java.util.LinkedHashSet<Path> out = new java.util.LinkedHashSet<>();
    for (Rule r : rules) {
      if (r.allow() && r.exec() != null) {
        path.resolve(r.exec().command()).ifPresent(out::add);
      }
    }
    return List.copyOf(out);
  }

  /** The command search path, which the executor also gives each command as its {@code PATH}. */
  public CommandPath path() {
    return path;
  }

  /** The first matching rule's verdict, or a deny by {@code default-deny}. The intent must be resolved. */
  public Decision decide(Intent intent) {
    String nearMiss = null;
    for (Rule r : rules) {
      if (!r.tool().equals(intent.tool())) {
        continue;
      }
      if (r.exec() != null) {
        String command = intent.argv().get(0);
        if (!r.exec().command().equals(command)) {
          continue;
        }
        Optional<String> bad = r.exec().check(intent.argv().subList(1, intent.argv().size()), workspace);
        if (bad.isPresent()) {
          nearMiss = nearMiss != null ? nearMiss : r.name() + ": " + bad.get();
          continue;
        }
        if (!r.allow()) {
          return new Decision(false, r.name(), "denied by " + r.name() + " (command " + command + ")", Optional.empty());
        }
        Optional<Path> exe = path.resolve(command);
        if (exe.isEmpty()) {
          return new Decision(false, r.name(), command + " is not in the policy's path " + path + "; deny", Optional.empty());
        }
        return new Decision(true, r.name(), "allowed by " + r.name() + " (command " + exe.get() + ")", exe);
      }
      Path p = intent.path().get();
      for (PathPattern pp : r.paths()) {
        if (pp.test().test(p)) {
          return new Decision(r.allow(), r.name(), (r.allow() ? "allowed by " : "denied by ") + r.name() + " (path " + pp.text() + ")",
              Optional.empty());
        }
      }
    }
    String why = "";
    if (nearMiss != null) {
      why = "; " + nearMiss;
    } else if (intent.tool().equals("exec") && !CommandPath.isBareName(intent.argv().get(0))) {
      why = "; give a command by its name alone: it is looked up in the policy's path " + path;
    }
    return new Decision(false, "default-deny", "no rule allows " + intent + why + "; deny by default", Optional.empty());
  }
}
