package dev.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SupervisorConfig}: the JSON schema, its defaults and the exact wording of every error. Starts no process. */
class SupervisorConfigTest {
  private static final Path CWD = Path.of("").toAbsolutePath();

  private static final String FULL = """
      {
        "strategy": "rest-for-one",
        "children": [
          {
            "name": "db",
            "command": ["postgres", "-D", "/var/lib/pg"],
            "workingDir": "/srv/db",
            "env": {"PGPORT": "5432"},
            "inheritEnv": ["PATH"],
            "restart": "always",
            "backoff": {"initial": "1s", "max": "30s", "multiplier": 2.0, "jitter": 0.2},
            "resetAfter": "2m",
            "maxRestarts": 3,
            "window": "1m",
            "stopSignal": "SIGINT",
            "stopGrace": "1.5s",
            "dependsOn": [],
            "logs": {"maxBytes": 1024, "keep": 3, "gzip": false}
          },
          {
            "name": "web",
            "command": ["python3", "-m", "http.server", "8080"],
            "workingDir": "data",
            "env": {},
            "inheritEnv": [],
            "restart": "never",
            "backoff": {"initial": "250ms", "max": "5s", "multiplier": 1.5},
            "stopSignal": "quit",
            "stopGrace": "0s",
            "dependsOn": ["db"],
            "logs": "discard"
          }
        ]
      }
      """;

  // ================================================================ valid configs

  @Test
  void fullExampleParsesIntoTheExpectedSpecs() throws Exception {
    SupervisorConfig config = SupervisorConfig.parse(FULL, "config.json");

    assertThat(config.strategy()).isEqualTo(Strategy.REST_FOR_ONE);
    assertThat(config.children()).extracting(ChildSpec::name).containsExactly("db", "web");

    ChildSpec db = config.children().get(0);
    assertThat(db.argv()).containsExactly("postgres", "-D", "/var/lib/pg");
    assertThat(db.workingDirectory()).contains(Path.of("/srv/db"));
    assertThat(db.env()).isEqualTo(Map.of("PGPORT", "5432"));
    assertThat(db.inheritEnv()).containsExactly("PATH");
    StandardRestartPolicy dbPolicy = (StandardRestartPolicy) db.restartPolicy();
    assertThat(dbPolicy.mode()).isEqualTo(RestartMode.ALWAYS);
    assertThat(dbPolicy.toString()).contains("exponential(1s..30s)").contains(".withJitter(0.2)").startsWith("always(");
    assertThat(dbPolicy.backoffResetAfter()).isEqualTo(Duration.ofMinutes(2));
    assertThat(dbPolicy.maxRestarts()).isEqualTo(3);
    assertThat(dbPolicy.window()).isEqualTo(Duration.ofMinutes(1));
    assertThat(db.stopSignal()).isEqualTo(StopSignal.INT);
    assertThat(db.stopGrace()).isEqualTo(Duration.ofMillis(1500));
    assertThat(db.dependsOn()).isEmpty();
    assertThat(db.logs()).isEqualTo(LogConfig.rotating(1024, 3, false));

    ChildSpec web = config.children().get(1);
    assertThat(web.argv()).containsExactly("python3", "-m", "http.server", "8080");
    assertThat(web.workingDirectory()).contains(CWD.resolve("data"));
    assertThat(web.env()).isEmpty();
    assertThat(web.inheritEnv()).isEmpty();
    StandardRestartPolicy webPolicy = (StandardRestartPolicy) web.restartPolicy();
    assertThat(webPolicy.mode()).isEqualTo(RestartMode.NEVER);
    assertThat(webPolicy.backoff()).isEqualTo(Backoff.exponential(Duration.ofMillis(250), Duration.ofSeconds(5), 1.5));
    assertThat(web.stopSignal()).isEqualTo(StopSignal.QUIT);
    assertThat(web.stopGrace()).isZero();
    assertThat(web.dependsOn()).containsExactly("db");
    assertThat(web.logs()).isEqualTo(LogConfig.discard());
  }

  @Test
  void missingFieldsTakeTheDefaults() throws Exception {
    SupervisorConfig config = SupervisorConfig.parse(j("{'children': [{'name': 'w1', 'command': ['sleep', '100']}]}"), "config.json");

    assertThat(config.strategy()).isEqualTo(Strategy.ONE_FOR_ONE);
    ChildSpec w1 = config.children().get(0);
    ChildSpec expected = ChildSpec.builder("w1").argv("sleep", "100").build();
    assertThat(w1.argv()).containsExactly("sleep", "100");
    assertThat(w1.workingDirectory()).isEmpty();
    assertThat(w1.env()).isEmpty();
    assertThat(w1.inheritEnv()).containsExactly("PATH", "HOME", "LANG", "TZ");
    assertThat(w1.restartPolicy()).isEqualTo(RestartPolicy.standard()).isEqualTo(expected.restartPolicy());
    assertThat(w1.restartPolicy().toString()).startsWith("onFailure(exponential(1s..30s), ").contains("giveUpAfter 5 in ");
    assertThat(w1.stopSignal()).isEqualTo(StopSignal.TERM);
    assertThat(w1.stopGrace()).isEqualTo(Duration.ofSeconds(10));
    assertThat(w1.readiness()).isEmpty();
    assertThat(w1.health()).isEmpty();
    assertThat(w1.dependsOn()).isEmpty();
    assertThat(w1.logs()).isEqualTo(LogConfig.defaults());
  }

  @Test
  void nullMeansTheDefault() throws Exception {
    SupervisorConfig config = SupervisorConfig.parse(j("{'strategy': null, 'children': [{'name': 'w1', 'command': ['x'],"
        + " 'workingDir': null, 'env': null, 'restart': null, 'backoff': null, 'stopGrace': null, 'logs': null}]}"), "config.json");

    assertThat(config.strategy()).isEqualTo(Strategy.ONE_FOR_ONE);
    ChildSpec w1 = config.children().get(0);
    assertThat(w1.workingDirectory()).isEmpty();
    assertThat(w1.restartPolicy()).isEqualTo(RestartPolicy.standard());
    assertThat(w1.stopGrace()).isEqualTo(Duration.ofSeconds(10));
    assertThat(w1.logs()).isEqualTo(LogConfig.defaults());
  }

  @Test
  void partialBackoffAndLogsKeepTheDefaultsOfTheMissingMembers() throws Exception {
    ChildSpec w1 = parseChild("'backoff': {'max': '2m'}, 'logs': {'keep': 2}");

    assertThat(((StandardRestartPolicy) w1.restartPolicy()).backoff()).hasToString("exponential(1s..2m)");
    assertThat(w1.logs()).isEqualTo(LogConfig.rotating(LogConfig.DEFAULT_MAX_BYTES, 2, true));
  }

  @Test
  void maxRestartsZeroRestartsForever() throws Exception {
    ChildSpec w1 = parseChild("'restart': 'always', 'maxRestarts': 0");

    StandardRestartPolicy policy = (StandardRestartPolicy) w1.restartPolicy();
    assertThat(policy.maxRestarts()).isZero();
    assertThat(policy).isEqualTo(RestartPolicy.standard().withMode(RestartMode.ALWAYS).restartForever());
    assertThat(policy.toString()).startsWith("always(exponential(1s..30s), ").endsWith(", restartForever)");
  }

  @Test
  void stopSignalTakesAnyCaseWithOrWithoutSig() throws Exception {
    for (String name : List.of("TERM", "term", "SIGTERM", "sigterm", "SigTerm")) {
      assertThat(parseChild("'stopSignal': '" + name + "'").stopSignal()).as(name).isEqualTo(StopSignal.TERM);
    }
    assertThat(parseChild("'stopSignal': 'usr2'").stopSignal()).isEqualTo(StopSignal.USR2);
    assertThat(parseChild("'stopSignal': 'SIGKILL'").stopSignal()).isEqualTo(StopSignal.KILL);
  }

  @Test
  void childrenCannotBeModified() throws Exception {
    SupervisorConfig config = SupervisorConfig.parse(FULL, "config.json");

    assertThatThrownBy(() -> config.children().clear()).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void applyToSetsTheStrategyAndAddsTheChildren(@TempDir Path home) throws Exception {
    SupervisorConfig config = SupervisorConfig.parse(FULL, "config.json");
    Supervisor.Builder builder = Supervisor.builder(home).shutdownHook(false).eventLog(false);

    assertThat(config.applyTo(builder)).isSameAs(builder);
    try (Supervisor s = builder.build()) { // built, never started: no process runs
      assertThat(s.strategy()).isEqualTo(Strategy.REST_FOR_ONE);
      assertThat(s.children()).extracting(ChildSpec::name).containsExactly("db", "web");
    }
  }

  @Nested
  class Load {
    @Test
    void readsAFileAndResolvesWorkingDirAgainstItsDirectory(@TempDir Path dir) throws Exception {
      Path file = dir.resolve("config.json");
      Files.writeString(file, j("{'strategy': 'one-for-all', 'children': ["
          + "{'name': 'w1', 'command': ['sleep', '100'], 'workingDir': 'work'},"
          + "{'name': 'w2', 'command': ['sleep', '100'], 'workingDir': '/abs'}]}"));

      SupervisorConfig config = SupervisorConfig.load(file);

      assertThat(config.strategy()).isEqualTo(Strategy.ONE_FOR_ALL);
      assertThat(config.children().get(0).workingDirectory()).contains(dir.resolve("work"));
      assertThat(config.children().get(1).workingDirectory()).contains(Path.of("/abs"));
    }

    @Test
    void errorsNameTheFile(@TempDir Path dir) throws Exception {
      Path file = dir.resolve("config.json");
      Files.writeString(file, j("{'children': [{'name': 'w1', 'command': ['x'], 'stopGrace': '10x'}]}"));

      assertThatThrownBy(() -> SupervisorConfig.load(file))
          .isInstanceOf(ConfigException.class)
          .hasMessage(file + ": children[0].stopGrace: bad duration '10x' (use e.g. 250ms, 1s, 1.5s, 5m, 2h, 1d)")
          .satisfies(e -> {
            assertThat(((ConfigException) e).file()).contains(file);
            assertThat(((ConfigException) e).field()).isEqualTo("children[0].stopGrace");
          });
    }

    @Test
    void syntaxErrorsNameTheFileLineAndColumn(@TempDir Path dir) throws Exception {
      Path file = dir.resolve("config.json");
      Files.writeString(file, "{\n  \"children\": [\n    {\"name\": \"w1\",}\n  ]\n}\n");

      assertThatThrownBy(() -> SupervisorConfig.load(file))
          .isInstanceOf(ConfigException.class)
          .hasMessage(file + ": line 3, column 19: malformed JSON: Unexpected character ('}' (code 125)):"
              + " was expecting double-quote to start field name");
    }

    @Test
    void aMissingFileIsAConfigExceptionNamingIt(@TempDir Path dir) {
      Path file = dir.resolve("missing.json");

      assertThatThrownBy(() -> SupervisorConfig.load(file))
          .isInstanceOf(ConfigException.class)
          .hasMessage("cannot read config " + file + ": no such file")
          .satisfies(e -> {
            assertThat(((ConfigException) e).file()).contains(file);
            assertThat(((ConfigException) e).field()).isEmpty();
          });
    }

    @Test
    void aDirectoryIsAConfigExceptionNamingIt(@TempDir Path dir) {
      assertThatThrownBy(() -> SupervisorConfig.load(dir))
          .isInstanceOf(ConfigException.class)
          .hasMessage("cannot read config " + dir + ": it is a directory; give the JSON file");
    }
  }

  // ================================================================ errors: the document

  @Test
  void malformedJsonGivesLineAndColumn() {
    assertError("{'children': [}", "",
        "config.json: line 1, column 15: malformed JSON: Unexpected close marker '}': expected ']'"
            + " (for Array starting at line 1, column 14)");
  }

  @Test
  void duplicateKeysAreAnError() {
    assertError("{'children': [{'name': 'w1',\n 'name': 'w2', 'command': ['x']}]}", "children[0].name",
        "config.json: children[0].name: duplicate field at line 2, column 8; remove one of the two");
  }

  @Test
  void contentAfterTheObjectIsAnError() {
    assertError("{'children': [{'name': 'w1', 'command': ['x']}]} {}", "",
        "config.json: line 1, column 50: malformed JSON: unexpected content after the top-level object;"
            + " a config holds exactly one object");
  }

  @Test
  void emptyDocument() {
    assertError("  \n", "",
        "config.json: empty document; write an object like {\"children\": [{\"name\": \"w1\", \"command\": [\"sleep\", \"100\"]}]}");
  }

  @Test
  void topLevelMustBeAnObject() {
    assertError("[{'name': 'w1', 'command': ['x']}]", "",
        "config.json: the top level must be an object like"
            + " {\"children\": [{\"name\": \"w1\", \"command\": [\"sleep\", \"100\"]}]}, got an array");
  }

  @Test
  void unknownTopLevelFieldSuggestsTheRightOne() {
    assertError("{'stratgy': 'one-for-all', 'children': [{'name': 'w1', 'command': ['x']}]}", "stratgy",
        "config.json: stratgy: unknown field; did you mean 'strategy'? (allowed: strategy, children)");
  }

  @Test
  void unknownStrategy() {
    assertError("{'strategy': 'one-for-none', 'children': [{'name': 'w1', 'command': ['x']}]}", "strategy",
        "config.json: strategy: unknown strategy 'one-for-none' (allowed: one-for-one, one-for-all, rest-for-one)");
  }

  @Test
  void missingChildren() {
    assertError("{'strategy': 'one-for-one'}", "children",
        "config.json: children: missing; list at least one child,"
            + " e.g. \"children\": [{\"name\": \"w1\", \"command\": [\"sleep\", \"100\"]}]");
  }

  @Test
  void emptyChildren() {
    assertError("{'children': []}", "children",
        "config.json: children: must not be empty; list at least one child,"
            + " e.g. [{\"name\": \"w1\", \"command\": [\"sleep\", \"100\"]}]");
  }

  @Test
  void childrenMustBeAnArray() {
    assertError("{'children': {'w1': {'command': ['x']}}}", "children",
        "config.json: children: must be an array of child objects like"
            + " [{\"name\": \"w1\", \"command\": [\"sleep\", \"100\"]}], got an object");
  }

  @Test
  void aChildMustBeAnObject() {
    assertError("{'children': ['w1']}", "children[0]",
        "config.json: children[0]: must be an object like {\"name\": \"w1\", \"command\": [\"sleep\", \"100\"]}, got string \"w1\"");
  }

  // ================================================================ errors: a child

  @Test
  void unknownChildFieldSuggestsTheRightOne() {
    assertChildError("'stopgrace': '5s'", "children[0].stopgrace",
        "config.json: children[0].stopgrace: unknown field; did you mean 'stopGrace'? (allowed: name, command, workingDir,"
            + " env, inheritEnv, restart, backoff, resetAfter, maxRestarts, window, stopSignal, stopGrace, dependsOn, logs,"
            + " readiness, readyTimeout, watchdog, instances, user, group, umask, noNewPrivileges, capabilities, limits,"
            + " permissions, enforce, sockets)");
  }

  @Test
  void unknownFieldWithoutALikelyMatchListsTheAllowedOnes() {
    assertChildError("'backoff': {'factor': 3}", "children[0].backoff.factor",
        "config.json: children[0].backoff.factor: unknown field (allowed: initial, max, multiplier, jitter)");
  }

  @Test
  void unknownLogsField() {
    assertChildError("'logs': {'maxSize': 100}", "children[0].logs.maxSize",
        "config.json: children[0].logs.maxSize: unknown field (allowed: maxBytes, keep, gzip)");
  }

  @Test
  void missingName() {
    assertError("{'children': [{'command': ['x']}]}", "children[0].name",
        "config.json: children[0].name: missing; give every child a unique name of up to 64 lower-case letters, digits, '.', '_'"
            + " and '-', starting with a letter or a digit");
  }

  @Test
  void invalidName() {
    assertError("{'children': [{'name': 'Web 1', 'command': ['x']}]}", "children[0].name",
        "config.json: children[0].name: child name 'Web 1' is invalid: use lower-case letters, digits, '.', '_' and '-',"
            + " starting with a letter or a digit");
  }

  @Test
  void namesThatAreNotFileNamesAreRefused() {
    for (String bad : List.of(".", "..", "-a", "_x")) {
      assertError("{'children': [{'name': '" + bad + "', 'command': ['x']}]}", "children[0].name",
          "config.json: children[0].name: child name '" + bad + "' is invalid: use lower-case letters, digits, '.', '_' and '-',"
              + " starting with a letter or a digit");
    }
  }

  @Test
  void aNameIsAtMost64Characters() throws Exception {
    String max = "a".repeat(64);
    assertThat(SupervisorConfig.parse(j("{'children': [{'name': '" + max + "', 'command': ['x']}]}"), "config.json")
        .children().get(0).name()).isEqualTo(max);
    assertError("{'children': [{'name': '" + "a".repeat(65) + "', 'command': ['x']}]}", "children[0].name",
        "config.json: children[0].name: child name '" + "a".repeat(32) + "...' is 65 characters long: the limit is 64"
            + " (names become file names such as logs/<name>.log)");
    assertError("{'children': [{'name': '" + "b".repeat(300) + "', 'command': ['x']}]}", "children[0].name",
        "config.json: children[0].name: child name '" + "b".repeat(32) + "...' is 300 characters long: the limit is 64"
            + " (names become file names such as logs/<name>.log)");
  }

  @Test
  void reservedNamesAreRefused() {
    for (String reserved : List.of("daemon", "supervisor", "control", "all")) {
      assertError("{'children': [{'name': '" + reserved + "', 'command': ['x']}]}", "children[0].name",
          "config.json: children[0].name: child name '" + reserved + "' is reserved (the supervisor's own files and commands use"
              + " it; reserved: all, control, daemon, events, http, notify, supervisor, supervisor-events): choose another");
    }
  }

  @Test
  void aNameWithInstancesLeavesRoomForTheInstanceNumber() throws Exception {
    String sixty = "w".repeat(60);
    ChildSpec spec = SupervisorConfig.parse(j("{'children': [{'name': '" + sixty + "', 'command': ['x'], 'instances': 1000}]}"),
        "config.json").children().get(0);
    assertThat(spec.instances()).isEqualTo(1000);
    assertError("{'children': [{'name': '" + "w".repeat(61) + "', 'command': ['x'], 'instances': 2}]}", "children[0].instances",
        "config.json: children[0].instances: child name '" + "w".repeat(32) + "...' is 61 characters long: with instances the"
            + " limit is 60, so that its instance names (up to '" + "w".repeat(32) + "...-999') fit 64");
  }

  @Test
  void anInstanceNameClashingWithAnotherChildIsRefusedNamingTheField() {
    assertError("{'children': [{'name': 'web', 'command': ['x'], 'instances': 2}, {'name': 'web-1', 'command': ['y']}]}",
        "children[1].name",
        "config.json: children[1].name: child 'web-1' has the same name as instance 'web-1' of 'web' (instances 2); rename one of them");
    assertError("{'children': [{'name': 'web-0', 'command': ['y']}, {'name': 'web', 'command': ['x'], 'instances': 3}]}",
        "children[1].name",
        "config.json: children[1].name: child 'web-0' has the same name as instance 'web-0' of 'web' (instances 3); rename one of them");
  }

  @Test
  void anInstanceClashInAFileNamesTheFile(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("agentd.json"),
        j("{'children': [{'name': 'web', 'command': ['x'], 'instances': 2}, {'name': 'web-1', 'command': ['y']}]}"));
    assertThatThrownBy(() -> SupervisorConfig.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessage(file + ": children[1].name: child 'web-1' has the same name as instance 'web-1' of 'web' (instances 2);"
            + " rename one of them")
        .satisfies(e -> {
          assertThat(((ConfigException) e).file()).contains(file);
          assertThat(((ConfigException) e).field()).isEqualTo("children[1].name");
        });
  }

  @Test
  void nameMustBeAString() {
    assertError("{'children': [{'name': 7, 'command': ['x']}]}", "children[0].name",
        "config.json: children[0].name: must be a string, got number 7 (quote it: \"7\")");
  }

  @Test
  void duplicateChildName() {
    assertError("{'children': [{'name': 'w1', 'command': ['x']}, {'name': 'w2', 'command': ['x']},"
            + " {'name': 'w1', 'command': ['y']}]}", "children[2].name",
        "config.json: children[2].name: duplicate child name 'w1' (also children[0])");
  }

  @Test
  void missingCommand() {
    assertError("{'children': [{'name': 'w1'}]}", "children[0].command",
        "config.json: children[0].command: missing; give the program and its arguments, e.g. [\"sleep\", \"100\"]");
  }

  @Test
  void commandMustBeAnArrayOfStrings() {
    assertError("{'children': [{'name': 'w1', 'command': 'sleep 100'}]}", "children[0].command",
        "config.json: children[0].command: must be an array of strings like [\"sleep\", \"100\"], got string \"sleep 100\"");
  }

  @Test
  void commandElementsMustBeStrings() {
    assertError("{'children': [{'name': 'w1', 'command': ['sleep', 100]}]}", "children[0].command[1]",
        "config.json: children[0].command[1]: must be a string, got number 100 (quote it: \"100\")");
  }

  @Test
  void emptyCommand() {
    assertError("{'children': [{'name': 'w1', 'command': []}]}", "children[0].command",
        "config.json: children[0].command: must not be empty; give the program and its arguments, e.g. [\"sleep\", \"100\"]");
  }

  @Test
  void blankProgram() {
    assertError("{'children': [{'name': 'w1', 'command': [' ', 'x']}]}", "children[0].command[0]",
        "config.json: children[0].command[0]: must not be blank; give the program to run, e.g. \"sleep\"");
  }

  @Test
  void blankWorkingDir() {
    assertChildError("'workingDir': ''", "children[0].workingDir",
        "config.json: children[0].workingDir: must not be blank; leave it out (or null) to use the supervisor's directory");
  }

  @Test
  void envValuesMustBeStrings() {
    assertChildError("'env': {'PORT': 8080}", "children[0].env.PORT",
        "config.json: children[0].env.PORT: must be a string, got number 8080 (quote it: \"8080\")");
  }

  @Test
  void envNamesMustBeValid() {
    assertChildError("'env': {'A=B': '1'}", "children[0].env[\"A=B\"]",
        "config.json: children[0].env[\"A=B\"]: environment variable name 'A=B' of child 'w1' is invalid");
  }

  @Test
  void inheritEnvMustBeAnArray() {
    assertChildError("'inheritEnv': 'PATH'", "children[0].inheritEnv",
        "config.json: children[0].inheritEnv: must be an array of variable names like [\"PATH\", \"HOME\"], got string \"PATH\"");
  }

  @Test
  void unknownRestartMode() {
    assertChildError("'restart': 'sometimes'", "children[0].restart",
        "config.json: children[0].restart: unknown restart mode 'sometimes' (allowed: always, on-failure, never)");
  }

  @Test
  void unknownStopSignal() {
    assertChildError("'stopSignal': 'STOP'", "children[0].stopSignal",
        "config.json: children[0].stopSignal: unknown signal 'STOP'"
            + " (allowed: TERM, INT, HUP, QUIT, USR1, USR2, KILL, with or without a SIG prefix)");
  }

  @Test
  void badDurationNamesTheChildAndTheField() {
    assertError("{'children': [{'name': 'w1', 'command': ['x']}, {'name': 'w2', 'command': ['x'], 'stopGrace': '10x'}]}",
        "children[1].stopGrace",
        "config.json: children[1].stopGrace: bad duration '10x' (use e.g. 250ms, 1s, 1.5s, 5m, 2h, 1d)");
  }

  @Test
  void negativeDuration() {
    assertChildError("'resetAfter': '-1s'", "children[0].resetAfter",
        "config.json: children[0].resetAfter: bad duration '-1s' (use e.g. 250ms, 1s, 1.5s, 5m, 2h, 1d)");
  }

  @Test
  void durationMustBeAString() {
    assertChildError("'stopGrace': 10", "children[0].stopGrace",
        "config.json: children[0].stopGrace: must be a duration string like \"10s\", got number 10");
  }

  @Test
  void zeroWindow() {
    assertChildError("'window': '0s'", "children[0].window",
        "config.json: children[0].window: must be longer than 0, e.g. \"60s\"");
  }

  @Test
  void negativeMaxRestarts() {
    assertChildError("'maxRestarts': -1", "children[0].maxRestarts",
        "config.json: children[0].maxRestarts: must not be negative, got -1 (0 means restart forever)");
  }

  @Test
  void maxRestartsTooLarge() {
    assertChildError("'maxRestarts': 300", "children[0].maxRestarts",
        "config.json: children[0].maxRestarts: must be at most 256, got 300 (0 means restart forever)");
  }

  @Test
  void maxRestartsMustBeAWholeNumber() {
    assertChildError("'maxRestarts': 2.5", "children[0].maxRestarts",
        "config.json: children[0].maxRestarts: must be a whole number, got 2.5 (0 means restart forever)");
  }

  @Test
  void quotedNumber() {
    assertChildError("'maxRestarts': '5'", "children[0].maxRestarts",
        "config.json: children[0].maxRestarts: must be a number, got string \"5\" (remove the quotes)");
  }

  @Test
  void multiplierBelowOne() {
    assertChildError("'backoff': {'multiplier': 0.5}", "children[0].backoff.multiplier",
        "config.json: children[0].backoff.multiplier: must be a number >= 1.0, got 0.5");
  }

  @Test
  void jitterOutOfRange() {
    assertChildError("'backoff': {'jitter': 1.5}", "children[0].backoff.jitter",
        "config.json: children[0].backoff.jitter: must be a number from 0.0 to 1.0, got 1.5");
  }

  @Test
  void backoffMaxBelowInitial() {
    assertChildError("'backoff': {'initial': '2m'}", "children[0].backoff",
        "config.json: children[0].backoff: max (30s) must not be less than initial (2m)");
  }

  @Test
  void negativeLogSize() {
    assertChildError("'logs': {'maxBytes': -5}", "children[0].logs.maxBytes",
        "config.json: children[0].logs.maxBytes: must not be negative, got -5");
  }

  @Test
  void logsKeepOutOfRange() {
    assertChildError("'logs': {'keep': 0}", "children[0].logs.keep",
        "config.json: children[0].logs.keep: must be at least 1, got 0");
  }

  @Test
  void logsGzipMustBeABoolean() {
    assertChildError("'logs': {'gzip': 'yes'}", "children[0].logs.gzip",
        "config.json: children[0].logs.gzip: must be true or false, got string \"yes\"");
  }

  @Test
  void logsStringOtherThanDiscard() {
    assertChildError("'logs': 'off'", "children[0].logs",
        "config.json: children[0].logs: must be an object like {\"maxBytes\": 10485760, \"keep\": 7, \"gzip\": true}"
            + " or the string \"discard\", got string \"off\"");
  }

  // ================================================================ errors: dependencies

  @Test
  void dependsOnUnknownChild() {
    assertError("{'children': [{'name': 'w1', 'command': ['x']}, {'name': 'w2', 'command': ['x'], 'dependsOn': ['x']}]}",
        "children[1].dependsOn",
        "config.json: children[1].dependsOn: unknown child 'x' (known children: w1, w2)");
  }

  @Test
  void dependsOnItself() {
    assertChildError("'dependsOn': ['w1']", "children[0].dependsOn",
        "config.json: children[0].dependsOn: child 'w1' cannot depend on itself");
  }

  @Test
  void dependencyCycle() {
    assertError("{'children': ["
            + "{'name': 'a', 'command': ['x']},"
            + "{'name': 'w1', 'command': ['x'], 'dependsOn': ['a', 'w3']},"
            + "{'name': 'w2', 'command': ['x'], 'dependsOn': ['w1']},"
            + "{'name': 'w3', 'command': ['x'], 'dependsOn': ['w2']}]}",
        "children[1].dependsOn",
        "config.json: children[1].dependsOn: dependency cycle w1 -> w3 -> w2 -> w1; remove one of these dependencies");
  }

  @Test
  void parseErrorsHaveNoFile() {
    assertThatThrownBy(() -> SupervisorConfig.parse("{}", "inline"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("inline: children: missing;")
        .satisfies(e -> assertThat(((ConfigException) e).file()).isEqualTo(Optional.empty()));
  }

  // ================================================================ helpers

  /** JSON with single quotes written as double quotes, for readable test input. */
  private static String j(String json) {
    return json.replace('\'', '"');
  }

  /** A config with one child {@code w1} running {@code sleep 100} plus {@code members}. */
  private static String oneChild(String members) {
    return j("{'children': [{'name': 'w1', 'command': ['sleep', '100'], " + members + "}]}");
  }

  private static ChildSpec parseChild(String members) throws ConfigException {
    return SupervisorConfig.parse(oneChild(members), "config.json").children().get(0);
  }

  private static void assertChildError(String members, String field, String message) {
    assertErrorRaw(oneChild(members), field, message);
  }

  @Test
  void notifyReadinessAndWatchdog() throws Exception {
    SupervisorConfig c = SupervisorConfig.parse(j("{'children': [{'name': 'db', 'command': ['x'], 'readiness': 'notify',"
        + " 'readyTimeout': '45s', 'watchdog': '10s'}, {'name': 'w', 'command': ['x'], 'watchdog': '2s'}]}"), "config.json");
    ChildSpec.Notify db = c.children().get(0).notifySettings().orElseThrow();
    assertThat(db.readiness()).isTrue();
    assertThat(db.readyTimeout()).isEqualTo(Duration.ofSeconds(45));
    assertThat(db.watchdog()).hasValue(Duration.ofSeconds(10));
    ChildSpec.Notify w = c.children().get(1).notifySettings().orElseThrow();
    assertThat(w.readiness()).isFalse();
    assertThat(c.children().get(1).hasReadiness()).isFalse();
    assertError("{'children': [{'name': 'db', 'command': ['x'], 'readiness': 'probe'}]}", "children[0].readiness",
        "config.json: children[0].readiness: unknown readiness 'probe' (allowed: notify)");
    assertError("{'children': [{'name': 'db', 'command': ['x'], 'readyTimeout': '5s'}]}", "children[0].readyTimeout",
        "config.json: children[0].readyTimeout: only applies with \"readiness\": \"notify\"");
  }

  @Test
  void instances() throws Exception {
    SupervisorConfig c = SupervisorConfig.parse(j("{'children': [{'name': 'web', 'command': ['x'], 'instances': 4}]}"), "config.json");
    assertThat(c.children().get(0).instances()).isEqualTo(4);
    assertError("{'children': [{'name': 'web', 'command': ['x'], 'instances': 'four'}]}", "children[0].instances",
        "config.json: children[0].instances: must be a whole number of instances (1..1000), got string \"four\"");
    assertError("{'children': [{'name': 'web', 'command': ['x'], 'instances': 0}]}", "children[0].instances",
        "config.json: children[0].instances: instances must be in 1..1000, got 0");
  }

  private static void assertError(String json, String field, String message) {
    assertErrorRaw(j(json), field, message);
  }

  private static void assertErrorRaw(String json, String field, String message) {
    assertThatThrownBy(() -> SupervisorConfig.parse(json, "config.json"))
        .as(json)
        .isInstanceOf(ConfigException.class)
        .hasMessage(message)
        .satisfies(e -> {
          ConfigException ce = (ConfigException) e;
          assertThat(ce.field()).isEqualTo(field);
          assertThat(ce.file()).isEmpty();
          assertThat(message).startsWith("config.json: " + (field.isEmpty() ? "" : field + ": "));
        });
  }
}
