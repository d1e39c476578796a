package dev.supervisor.examples.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The default policy, argv by argv; the schema's errors; workspaces whose paths hold glob characters. */
class PolicyTest {
  @TempDir Path dir;
  private Path home;
  private Path ws;
  private Policy policy;

  @BeforeEach
  void setUp() throws Exception {
    home = Files.createDirectory(dir.resolve("home"));
    ws = Files.createDirectory(home.resolve("workspace"));
    Files.createDirectory(ws.resolve("sub"));
    Files.writeString(ws.resolve("a.txt"), "a");
    Files.writeString(home.resolve("secret.txt"), "outside");
    policy = parse(Policy.DEFAULT, ws);
  }

  private static Policy parse(String json, Path workspace) throws IOException {
    return Policy.parse(Jsons.MAPPER.readTree(json), workspace, "policy.json");
  }

  private Policy.Decision exec(String... argv) {
    return policy.decide(Intent.exec(List.of(argv)).resolvedAgainst(ws));
  }

  private String denial(String... argv) {
    Policy.Decision d = exec(argv);
    assertThat(d.allowed()).as("%s", List.of(argv)).isFalse();
    assertThat(d.executable()).isEmpty();
    return d.reason();
  }

  @Test
  void dateCannotReadAFileAndSoCannotLeakTheSigningKey() {
    String key = home.resolve("keys/validator/approval.key").toString();
    assertThat(denial("date", "-f", key)).isEqualTo("no rule allows exec date -f " + key
        + "; exec-date: option '-f' is not allowed for date (allowed: -u --utc --universal -R --rfc-email); deny by default");
    assertThat(exec("date", "-f", key).rule()).isEqualTo("default-deny");
    assertThat(denial("date", "-f", "/etc/shadow")).contains("option '-f' is not allowed");
    assertThat(denial("date", "-f" + key)).contains("option '-f' in '-f" + key + "' is not allowed");
    assertThat(denial("date", "-uf", key)).contains("option '-f' in '-uf' is not allowed");
    assertThat(denial("date", "--file=" + key)).contains("option '--file=" + key + "' is not allowed");
    assertThat(denial("date", "--file", key)).contains("option '--file' is not allowed");
    assertThat(denial("date", "--fi=" + key)).contains("option '--fi=" + key + "' is not allowed"); // GNU abbreviation
    assertThat(denial("date", "-r", key)).contains("option '-r' is not allowed");
    assertThat(denial("date", "--reference=" + key)).contains("is not allowed");
    assertThat(denial("date", "+%s", "-f", key)).contains("option '-f' is not allowed"); // getopt permutes: still an option
    assertThat(denial("date", "--", "-f")).contains("operand '-f' of date matches none of [+*]");
  }

  @Test
  void dateCannotSetTheClock() {
    assertThat(denial("date", "-s", "2001-01-01")).contains("option '-s' is not allowed");
    assertThat(denial("date", "--set=2001-01-01")).contains("option '--set=2001-01-01' is not allowed");
    assertThat(denial("date", "--set", "2001-01-01")).contains("option '--set' is not allowed");
    assertThat(denial("date", "01010000")).contains("operand '01010000' of date matches none of [+*]"); // MMDDhhmm sets it
    assertThat(denial("date", "-u", "0101000001")).contains("matches none of [+*]");
  }

  @Test
  void dateWithoutArgumentsOrWithUtcAndFormatsIsAllowed() {
    for (List<String> argv : List.of(List.of("date"), List.of("date", "-u"), List.of("date", "+%s"), List.of("date", "-u", "+%Y-%m-%d %H:%M"),
        List.of("date", "-uR"), List.of("date", "--utc", "+%s"), List.of("date", "--", "+%s"))) {
      Policy.Decision d = policy.decide(Intent.exec(argv).resolvedAgainst(ws));
      assertThat(d.allowed()).as("%s: %s", argv, d.reason()).isTrue();
      assertThat(d.rule()).isEqualTo("exec-date");
      assertThat(d.executable()).hasValueSatisfying(p -> assertThat(p).isAbsolute().endsWith(Path.of("date")));
    }
  }

  @Test
  void lsStaysInTheWorkspace() throws Exception {
    assertThat(denial("ls", "/")).isEqualTo("no rule allows exec ls /; exec-ls: '/' resolves to /, outside the workspace " + ws
        + "; deny by default");
    assertThat(denial("ls", "-R", "/")).contains("'/' resolves to /, outside the workspace");
    assertThat(denial("ls", "..")).contains("'..' resolves to " + home.toRealPath() + ", outside the workspace");
    assertThat(denial("ls", "sub/../..")).contains("outside the workspace");
    assertThat(denial("ls", "../secret.txt")).contains("outside the workspace");
    assertThat(denial("ls", "missing/../../secret.txt")).contains("outside the workspace");
    assertThat(denial("ls", "/etc/passwd")).contains("outside the workspace");
    assertThat(denial("ls", "--", "/")).contains("outside the workspace");
    assertThat(denial("ls", "-a", "sub", "/")).contains("'/' resolves to /");
    Files.createSymbolicLink(ws.resolve("to-root"), Path.of("/"));
    Files.createSymbolicLink(ws.resolve("to-home"), home);
    Files.createDirectory(home.resolve("outer"));
    Files.createSymbolicLink(ws.resolve("to-outer"), home.resolve("outer"));
    assertThat(denial("ls", "to-root")).contains("'to-root' resolves to /, outside the workspace");
    assertThat(denial("ls", "to-home/secret.txt")).contains("outside the workspace");
    // the kernel resolves the link before '..': lexically this would be the workspace, really it is the home
    assertThat(denial("ls", "to-outer/..")).contains("'to-outer/..' resolves to " + home.toRealPath());
    assertThat(denial("ls", "to-outer/missing")).contains("outside the workspace");
  }

  @Test
  void lsRefusesOptionsItDoesNotDeclare() {
    assertThat(denial("ls", "-L", "-R")).contains("option '-L' is not allowed for ls (allowed: -l -a -A -1 -h -t -r -S -F -d -R -i -s -n)");
    assertThat(denial("ls", "-laL")).contains("option '-L' in '-laL' is not allowed");
    assertThat(denial("ls", "--dereference")).contains("option '--dereference' is not allowed");
    assertThat(denial("ls", "--all")).contains("option '--all' is not allowed");
    assertThat(denial("ls", "-w", "80")).contains("option '-w' is not allowed");
    assertThat(denial("ls", "--hide=*")).contains("is not allowed");
    assertThat(denial("ls", "-l=x")).contains("option '-=' in '-l=x' is not allowed");
  }

  @Test
  void lsWithWorkspacePathsAndSafeOptionsIsAllowed() throws Exception {
    Files.writeString(ws.resolve("-R"), "a file named like an option");
    Files.createSymbolicLink(ws.resolve("inner-link"), ws.resolve("sub"));
    for (List<String> argv : List.of(List.of("ls"), List.of("ls", "-la"), List.of("ls", "-l", "-a", "."), List.of("ls", "-1", "sub", "a.txt"),
        List.of("ls", "-R"), List.of("ls", ws.toString()), List.of("ls", ws.resolve("sub").toString()), List.of("ls", "sub/.."),
        List.of("ls", "inner-link"), List.of("ls", "not-yet-there"), List.of("ls", "--", "-R"), List.of("ls", "-lh", "--", "-R", "sub"),
        List.of("ls", "-"))) {
      Policy.Decision d = policy.decide(Intent.exec(argv).resolvedAgainst(ws));
      assertThat(d.allowed()).as("%s: %s", argv, d.reason()).isTrue();
      assertThat(d.rule()).isEqualTo("exec-ls");
    }
  }

  @Test
  void echoTakesAnythingPwdAndTrueNothing() {
    assertThat(exec("echo", "-e", "hi; rm -rf /", "$(id)", "--", "-f").allowed()).isTrue();
    assertThat(exec("echo").allowed()).isTrue();
    assertThat(exec("pwd").allowed()).isTrue();
    assertThat(exec("pwd", "-P").allowed()).isTrue();
    assertThat(exec("true").allowed()).isTrue();
    assertThat(denial("pwd", "sub")).contains("pwd takes no operands under this policy, got 'sub'");
    assertThat(denial("true", "--help")).contains("option '--help' is not allowed for true (the policy allows it no options)");
  }

  @Test
  void commandsAreNamesLookedUpInThePolicysPathNeverPaths() {
    assertThat(denial("/bin/ls")).isEqualTo("no rule allows exec /bin/ls; give a command by its name alone: it is looked up in the"
        + " policy's path /usr/local/bin:/usr/bin:/bin; deny by default");
    assertThat(denial("./true")).contains("give a command by its name alone");
    assertThat(denial("rm", "-rf", "/tmp/x")).isEqualTo("no rule allows exec rm -rf /tmp/x; deny by default");
    assertThat(policy.path().toString()).isEqualTo("/usr/local/bin:/usr/bin:/bin");
  }

  @Test
  void thePolicysPathDecidesWhichBinaryRunsNotTheEnvironments() throws Exception {
    Path bin = Files.createDirectory(dir.resolve("bin"));
    Path mine = bin.resolve("true");
    Files.writeString(mine, "#!/bin/sh\n");
    Files.setPosixFilePermissions(mine, PosixFilePermissions.fromString("rwxr-xr-x"));
    Policy custom = parse(Policy.DEFAULT.replace("\"path\": \"/usr/local/bin:/usr/bin:/bin\"", "\"path\": \"" + bin + ":/usr/bin:/bin\""), ws);
    assertThat(custom.decide(Intent.exec(List.of("true"))).executable()).contains(mine);
    assertThat(policy.decide(Intent.exec(List.of("true"))).executable()).isEqualTo(CommandPath.parse("/usr/local/bin:/usr/bin:/bin")
        .resolve("true"));
    Policy nowhere = parse("{\"path\": \"" + bin + "\", \"rules\": [{\"tool\": \"exec\", \"allow\": true, \"command\": \"date\","
        + " \"args\": \"none\"}]}", ws);
    Policy.Decision d = nowhere.decide(Intent.exec(List.of("date")));
    assertThat(d.allowed()).isFalse();
    assertThat(d.reason()).isEqualTo("date is not in the policy's path " + bin + "; deny");
  }

  @Test
  void aDenyRuleMatchesItsCommandWithAnyArguments() throws Exception {
    Policy p = parse("{\"rules\": [{\"name\": \"no-echo\", \"tool\": \"exec\", \"allow\": false, \"command\": \"echo\"},"
        + " {\"tool\": \"exec\", \"allow\": true, \"command\": \"echo\", \"args\": \"any\"}]}", ws);
    Policy.Decision d = p.decide(Intent.exec(List.of("echo", "hi")));
    assertThat(d.allowed()).isFalse();
    assertThat(d.reason()).isEqualTo("denied by no-echo (command echo)");
  }

  @Test
  void patternsAndWildcardOptions() throws Exception {
    Policy p = parse("{\"rules\": [{\"name\": \"exec-sleep\", \"tool\": \"exec\", \"allow\": true, \"command\": \"sleep\","
        + " \"flags\": [\"--color=*\"], \"args\": [\"1\", \"2*\"]}]}", ws);
    assertThat(p.decide(Intent.exec(List.of("sleep", "1"))).allowed()).isTrue();
    assertThat(p.decide(Intent.exec(List.of("sleep", "25", "--color=never"))).allowed()).isTrue();
    assertThat(p.decide(Intent.exec(List.of("sleep", "3"))).reason()).contains("operand '3' of sleep matches none of [1, 2*]");
    assertThat(p.decide(Intent.exec(List.of("sleep", "--colour=x"))).allowed()).isFalse();
  }

  @Test
  void theOldCommandsFormIsRefusedNamingFileFieldAndFix() {
    assertThatThrownBy(() -> parse(Policy.PREVIOUS_DEFAULT, ws)).isInstanceOf(IOException.class)
        .hasMessage("policy.json: rules[3].commands: the old form, where a command name allowed any arguments, is refused"
            + " (it let 'date -f FILE' print any file); write one rule per command instead, declaring its options and operands,"
            + " e.g. {\"name\": \"exec-ls\", \"tool\": \"exec\", \"allow\": true, \"command\": \"ls\", \"flags\": [\"-l\", \"-a\"],"
            + " \"args\": \"workspace-paths\"} (see the README, \"Policy\")");
  }

  @Test
  void schemaErrorsNameTheField() {
    List<String[]> cases = new ArrayList<>();
    cases.add(new String[] {"{\"rules\": [{\"tool\": \"exec\", \"allow\": true, \"command\": \"ls\"}]}",
        "policy.json: rules[0].args: an allow rule must say which operands it takes: \"none\", \"any\", \"workspace-paths\" or a list"
            + " of patterns such as [\"+*\"]"});
    cases.add(new String[] {"{\"rules\": [{\"tool\": \"exec\", \"allow\": true, \"command\": \"/bin/ls\", \"args\": \"none\"}]}",
        "policy.json: rules[0].command: an exec rule needs \"command\", a command name such as \"ls\" (no '/': it is looked up in the"
            + " policy's \"path\")"});
    cases.add(new String[] {"{\"rules\": [{\"tool\": \"exec\", \"allow\": true, \"command\": \"ls\", \"args\": \"paths\"}]}",
        "policy.json: rules[0].args: must be \"none\", \"any\", \"workspace-paths\" or a list of patterns such as [\"+*\"], not \"paths\""});
    cases.add(new String[] {"{\"rules\": [{\"tool\": \"exec\", \"allow\": true, \"command\": \"ls\", \"flags\": [\"l\"], \"args\": \"none\"}]}",
        "policy.json: rules[0].flags[0]: 'l' is not an option (an option starts with '-'; '--' always ends the options)"});
    cases.add(new String[] {"{\"rules\": [{\"tool\": \"exec\", \"allow\": true, \"command\": \"echo\", \"flags\": [\"-n\"], \"args\": \"any\"}]}",
        "policy.json: rules[0].flags: with \"args\": \"any\" every argument is accepted, options too; remove \"flags\""});
    cases.add(new String[] {"{\"rules\": [{\"tool\": \"exec\", \"allow\": false, \"command\": \"rm\", \"args\": \"none\"}]}",
        "policy.json: rules[0]: a deny rule matches its command with any arguments; remove \"flags\" and \"args\""});
    cases.add(new String[] {"{\"rules\": [{\"tool\": \"exec\", \"allow\": true, \"command\": \"ls\", \"args\": \"none\", \"flag\": [\"-l\"]}]}",
        "policy.json: rules[0].flag: unknown field (known: allow, args, command, flags, name, tool)"});
    cases.add(new String[] {"{\"rules\": [{\"tool\": \"read\", \"allow\": \"yes\", \"paths\": [\"/x\"]}]}",
        "policy.json: rules[0].allow: must be true or false, not \"yes\""});
    cases.add(new String[] {"{\"path\": \"bin:/usr/bin\", \"rules\": []}",
        "policy.json: path: 'bin' in path 'bin:/usr/bin' is not an absolute directory (an empty or relative entry would search the"
            + " working directory)"});
    cases.add(new String[] {"{\"path\": \"/usr/bin::/bin\", \"rules\": []}",
        "policy.json: path: '' in path '/usr/bin::/bin' is not an absolute directory (an empty or relative entry would search the"
            + " working directory)"});
    cases.add(new String[] {"{\"rules\": [], \"comment\": \"x\"}", "policy.json: comment: unknown field (known: path, rules)"});
    for (String[] c : cases) {
      assertThatThrownBy(() -> parse(c[0], ws)).as(c[0]).isInstanceOf(IOException.class).hasMessage(c[1]);
    }
  }

  /** Issue: a home such as /tmp/x[1] denied every workspace file: the workspace path was used as a glob. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"x[1]|x1", "{a,b}|a", "st*r|stXr", "q?|qx", "back\\slash|backslash", "[!a]|b"})
  void aWorkspaceWhosePathHoldsGlobCharactersWorks(String name, String matchedByTheUnescapedGlob) throws Exception {
    Path odd = Files.createDirectories(dir.resolve(name).resolve("workspace"));
    Files.createDirectory(odd.resolve("d"));
    Policy p = parse(Policy.DEFAULT, odd);
    assertThat(p.decide(Intent.read(Path.of("a.txt")).resolvedAgainst(odd)).allowed()).isTrue();
    assertThat(p.decide(Intent.write(Path.of("d/b.txt"), "x").resolvedAgainst(odd)).allowed()).isTrue();
    assertThat(p.decide(Intent.list(Path.of(".")).resolvedAgainst(odd)).reason()).isEqualTo("allowed by list-workspace (path " + odd + ")");
    assertThat(p.decide(Intent.read(Path.of("../secret.txt")).resolvedAgainst(odd)).allowed()).isFalse();
    assertThat(p.decide(Intent.exec(List.of("ls", "-l", "d")).resolvedAgainst(odd)).allowed()).isTrue();
    assertThat(p.decide(Intent.exec(List.of("ls", "..")).resolvedAgainst(odd)).allowed()).isFalse();
    // a sibling that the unescaped glob would have matched stays out
    Path sibling = dir.resolve(matchedByTheUnescapedGlob).resolve("workspace");
    assertThat(p.decide(Intent.read(sibling.resolve("a.txt"))).allowed()).isFalse();
    // ${workspace} inside a user-written glob is escaped there too; the user's own glob characters still work
    Policy braces = parse("{\"rules\": [{\"name\": \"notes\", \"tool\": \"read\", \"allow\": true,"
        + " \"paths\": [\"{${workspace}/notes.txt,/srv/*.csv}\", \"${workspace}/*.md\"]}]}", odd);
    assertThat(braces.decide(Intent.read(odd.resolve("notes.txt"))).allowed()).isTrue();
    assertThat(braces.decide(Intent.read(Path.of("/srv/data.csv"))).allowed()).isTrue();
    assertThat(braces.decide(Intent.read(odd.resolve("readme.md"))).allowed()).isTrue();
    assertThat(braces.decide(Intent.read(odd.resolve("d/readme.md"))).allowed()).isFalse();
    assertThat(braces.decide(Intent.read(odd.resolve("other.txt"))).allowed()).isFalse();
  }

  @Test
  void escapeGlobQuotesEveryGlobCharacter() {
    assertThat(Policy.escapeGlob("/tmp/x[1]/{a,b}/*?\\")).isEqualTo("/tmp/x\\[1\\]/\\{a\\,b\\}/\\*\\?\\\\");
  }

  @Test
  void installDefaultWritesItOnceAndReplacesOnlyTheUneditedPreviousDefault() throws Exception {
    Path file = home.resolve("policy.json");
    List<String> log = new ArrayList<>();
    Policy.installDefault(file, log::add);
    assertThat(Files.readString(file)).isEqualTo(Policy.DEFAULT);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThat(log).isEmpty();
    assertThat(Policy.load(file, ws).decide(Intent.exec(List.of("date", "-u"))).allowed()).isTrue();

    Files.writeString(file, Policy.PREVIOUS_DEFAULT);
    Policy.installDefault(file, log::add);
    assertThat(Files.readString(file)).isEqualTo(Policy.DEFAULT);
    assertThat(log).containsExactly("replaced the previous built-in policy in " + file + " (its exec rule allowed any arguments,"
        + " so 'date -f FILE' printed any file) with the new default");

    String edited = Policy.PREVIOUS_DEFAULT.replace("\"true\"]", "\"true\", \"sleep\"]");
    Files.writeString(file, edited);
    Policy.installDefault(file, log::add);
    assertThat(Files.readString(file)).isEqualTo(edited); // the user's file: refused at load, never rewritten
    assertThat(log).hasSize(1);
    assertThatThrownBy(() -> Policy.load(file, ws)).hasMessageStartingWith(file + ": rules[3].commands: the old form");
  }

  @Test
  void loadNeverWrites() {
    Path file = home.resolve("absent.json");
    assertThatThrownBy(() -> Policy.load(file, ws)).isInstanceOf(IOException.class)
        .hasMessage("policy " + file + " does not exist: 'agentd daemon run' writes the default there");
    assertThat(file).doesNotExist();
  }

  @Test
  void decisionsCarryNoExecutableForFileTools() {
    assertThat(policy.decide(Intent.read(Path.of("a.txt")).resolvedAgainst(ws)).executable()).isEqualTo(Optional.empty());
  }
}
