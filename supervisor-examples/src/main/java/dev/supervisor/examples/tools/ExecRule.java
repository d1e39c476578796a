package dev.supervisor.examples.tools;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What one {@code exec} rule accepts after the command name: the options it declares, and
 * operands that are none, paths inside the workspace, or strings matching patterns; or, for a
 * command that touches nothing ({@code echo}), any argument at all.
 * Options are read as GNU getopt reads them, so that nothing the command would take as an
 * option slips through as an operand: every argument before {@code --} that starts with
 * {@code -} is an option (also after operands); {@code -la} is {@code -l} and {@code -a}, each
 * of which must be declared; {@code --opt=value} must match a declared entry as a whole (a
 * long option is never split, and a GNU abbreviation such as {@code --fi} for {@code --file}
 * matches nothing declared). After {@code --} every argument is an operand. Immutable.
 */
final class ExecRule {
  /** What operands a rule accepts. */
  enum Operands { NONE, ANY, WORKSPACE_PATHS, PATTERNS }

  private final String command;
  private final List<String> flags;
  private final List<Pattern> flagPatterns;
  private final Operands operands;
  private final List<String> patternText;
  private final List<Pattern> patterns;

  private ExecRule(String command, List<String> flags, Operands operands, List<String> patternText) {
    this.command = command;
    this.flags = List.copyOf(flags);
    this.flagPatterns = flags.stream().map(ExecRule::wildcard).toList();
    this.operands = operands;
    this.patternText = List.copyOf(patternText);
    this.patterns = patternText.stream().map(ExecRule::wildcard).toList();
  }

  String command() {
    return command;
  }

  /**
   * Reads the exec part of a rule: {@code command}, and for an allow rule {@code flags} and
   * {@code args}. A deny rule matches its command whatever the arguments.
   *
   * @throws IOException naming {@code where} and the field
   */
  static ExecRule parse(JsonNode r, boolean allow, String where) throws IOException {
    if (r.has("commands")) {
      throw new IOException(where + ".commands: the old form, where a command name allowed any arguments, is refused"
          + " (it let 'date -f FILE' print any file); write one rule per command instead, declaring its options and"
          + " operands, e.g. {\"name\": \"exec-ls\", \"tool\": \"exec\", \"allow\": true, \"command\": \"ls\","
          + " \"flags\": [\"-l\", \"-a\"], \"args\": \"workspace-paths\"} (see the README, \"Policy\")");
    }
    JsonNode c = r.get("command");
    if (c == null || !c.isTextual() || !CommandPath.isBareName(c.asText())) {
      throw new IOException(where + ".command: an exec rule needs \"command\", a command name such as \"ls\""
          + " (no '/': it is looked up in the policy's \"path\")");
    }
    if (!allow) {
      if (r.has("flags") || r.has("args")) {
        throw new IOException(where + ": a deny rule matches its command with any arguments; remove \"flags\" and \"args\"");
      }
      return new ExecRule(c.asText(), List.of(), Operands.ANY, List.of());
    }
    List<String> flags = new ArrayList<>();
    JsonNode f = r.get("flags");
    if (f != null) {
      if (!f.isArray()) {
        throw new IOException(where + ".flags: must be a list of options such as [\"-l\", \"--utc\"]");
      }
      for (int i = 0; i < f.size(); i++) {
        String s = f.get(i).asText("");
        if (!f.get(i).isTextual() || s.length() < 2 || !s.startsWith("-") || s.equals("--")) {
          throw new IOException(where + ".flags[" + i + "]: '" + s + "' is not an option (an option starts with '-';"
              + " '--' always ends the options)");
        }
        flags.add(s);
      }
    }
    JsonNode a = r.get("args");
    String argsHelp = where + ".args: must be \"none\", \"any\", \"workspace-paths\" or a list of patterns such as [\"+*\"]";
    if (a == null) {
      throw new IOException(where + ".args: an allow rule must say which operands it takes: "
          + "\"none\", \"any\", \"workspace-paths\" or a list of patterns such as [\"+*\"]");
    }
    if (a.isArray()) {
      List<String> pats = new ArrayList<>();
      for (JsonNode p : a) {
        if (!p.isTextual()) {
          throw new IOException(argsHelp);
        }
        pats.add(p.asText());
      }
      return new ExecRule(c.asText(), flags, Operands.PATTERNS, pats);
    }
    Operands o = switch (a.asText("")) {
      case "none" -> Operands.NONE;
      case "any" -> Operands.ANY;
      case "workspace-paths" -> Operands.WORKSPACE_PATHS;
      default -> throw new IOException(argsHelp + ", not " + a);
    };
    if (o == Operands.ANY && !flags.isEmpty()) {
      throw new IOException(where + ".flags: with \"args\": \"any\" every argument is accepted, options too; remove \"flags\"");
    }
    return new ExecRule(c.asText(), flags, o, List.of());
  }

  /**
   * Empty if {@code args} (the argv after the command name) are accepted, else why not.
   *
   * @param workspace absolute and normalized; relative operands are resolved against it (the
   *     executor runs commands there)
   */
  Optional<String> check(List<String> args, Path workspace) {
    if (operands == Operands.ANY) {
      return Optional.empty();
    }
    boolean operandsOnly = false;
    for (String a : args) {
      if (!operandsOnly && a.equals("--")) {
        operandsOnly = true;
      } else if (!operandsOnly && a.length() > 1 && a.startsWith("-")) {
        Optional<String> bad = checkOption(a);
        if (bad.isPresent()) {
          return bad;
        }
      } else {
        Optional<String> bad = checkOperand(a, workspace);
        if (bad.isPresent()) {
          return bad;
        }
      }
    }
    return Optional.empty();
  }

  private Optional<String> checkOption(String a) {
    for (Pattern p : flagPatterns) {
      if (p.matcher(a).matches()) {
        return Optional.empty();
      }
    }
    if (!a.startsWith("--")) { // a cluster of short options: each one must be declared
      for (int i = 1; i < a.length(); i = a.offsetByCodePoints(i, 1)) {
        String one = "-" + new String(Character.toChars(a.codePointAt(i)));
        if (!flags.contains(one)) {
          return Optional.of("option '" + one + "'" + (a.length() > 2 ? " in '" + a + "'" : "") + " is not allowed for "
              + command + allowed());
        }
      }
      return Optional.empty();
    }
    return Optional.of("option '" + a + "' is not allowed for " + command + allowed());
  }

  private String allowed() {
    return flags.isEmpty() ? " (the policy allows it no options)" : " (allowed: " + String.join(" ", flags) + ")";
  }

  private Optional<String> checkOperand(String a, Path workspace) {
    switch (operands) {
      case ANY:
        return Optional.empty();
      case NONE:
        return Optional.of(command + " takes no operands under this policy, got '" + a + "'");
      case PATTERNS:
        for (Pattern p : patterns) {
          if (p.matcher(a).matches()) {
            return Optional.empty();
          }
        }
        return Optional.of("operand '" + a + "' of " + command + " matches none of " + patternText);
      default:
        return outsideWorkspace(a, workspace);
    }
  }

  /**
   * Empty if {@code arg}, as the kernel would resolve it from {@code workspace}, stays inside:
   * an existing path by {@link Path#toRealPath} on the path as given (so {@code link/..} goes
   * where the kernel goes, not where lexical normalization would), a missing one by the real
   * path of its longest existing prefix plus the rest, normalized.
   */
  static Optional<String> outsideWorkspace(String arg, Path workspace) {
    Path wsReal;
    try {
      wsReal = workspace.toRealPath();
    } catch (IOException e) {
      return Optional.of("the workspace " + workspace + " does not exist");
    }
    Path raw;
    try {
      raw = workspace.resolve(arg);
    } catch (InvalidPathException e) {
      return Optional.of("'" + arg + "' is not a valid path");
    }
    Path real = physical(raw);
    if (!real.startsWith(wsReal)) {
      return Optional.of("'" + arg + "' resolves to " + real + ", outside the workspace " + workspace);
    }
    return Optional.empty();
  }

  private static Path physical(Path raw) {
    try {
      return raw.toRealPath();
    } catch (IOException missing) {
      int n = raw.getNameCount();
      for (int i = n - 1; i >= 0; i--) {
        Path prefix = i == 0 ? raw.getRoot() : raw.getRoot().resolve(raw.subpath(0, i));
        try {
          return prefix.toRealPath().resolve(raw.subpath(i, n)).normalize();
        } catch (IOException e) {
          // shorter prefix next
        }
      }
      return raw.normalize();
    }
  }

  /** {@code *} matches any run of characters, {@code /} and newlines included; all else is literal. */
  static Pattern wildcard(String text) {
    StringBuilder re = new StringBuilder();
    int start = 0;
    for (int i = text.indexOf('*'); i >= 0; i = text.indexOf('*', start)) {
      re.append(Pattern.quote(text.substring(start, i))).append(".*");
      start = i + 1;
    }
    re.append(Pattern.quote(text.substring(start)));
    return Pattern.compile(re.toString(), Pattern.DOTALL);
  }
}
