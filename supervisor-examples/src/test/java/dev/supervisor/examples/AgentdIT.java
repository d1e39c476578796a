package dev.supervisor.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.examples.scheduler.JobStore;
import dev.supervisor.examples.tools.ApprovalKeys;
import dev.supervisor.examples.tools.Approvals;
import dev.supervisor.examples.tools.Intent;
import dev.supervisor.examples.tools.Policy;
import dev.supervisor.ipc.ErrorCode;
import dev.supervisor.ipc.JsonLineClient;
import dev.supervisor.ipc.RpcException;
import dev.supervisor.testsupport.Pids;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.TestProcesses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** End to end, through target/agentd.jar, in a temp home. */
@ExtendWith(ProcessLeakGuard.class)
class AgentdIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Relative on purpose, as in the README: children run in other directories and must still find it. */
  private static final Path JAR = Path.of("target", "agentd.jar");
  private static final Duration WAIT = Duration.ofSeconds(60);
  @TempDir Path dir;
  private Path home;
  /** Extra environment for every agentd command of a test (and so for the daemon it starts). */
  private final Map<String, String> env = new HashMap<>();

  record Result(int code, String out, String err) {}

  private Result agentd(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString(),
        "--home", home.toString()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    ProcessBuilder pb = TestProcesses.builder(cmd).directory(Path.of("").toAbsolutePath().toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().put("AGENTD_POLL", "1s");
    pb.environment().put("AGENTD_DRAIN_GRACE", "1s");
    pb.environment().putAll(env);
    Process p = pb.start();
    assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("agentd %s finished", List.of(args)).isTrue();
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private JsonNode status() throws Exception {
    Result r = agentd("daemon", "status", "--json");
    return JSON.readTree(r.out());
  }

  private long childPid(String name) throws Exception {
    for (JsonNode c : status().path("children")) {
      if (c.path("name").asText().equals(name) && !c.path("pid").isNull()) {
        return c.path("pid").asLong();
      }
    }
    return -1;
  }

  private boolean allReady() throws Exception {
    JsonNode s = status();
    if (s.path("children").size() != 3) {
      return false;
    }
    for (JsonNode c : s.path("children")) {
      if (!c.path("state").asText().equals("READY")) {
        return false;
      }
    }
    return true;
  }

  /** Every live process of this home: its supervisor (--home in argv) and its children (AGENTD_HOME in environ). */
  private List<String> processesOfHome() throws IOException {
    return AgentdHomes.processesOf(home);
  }

  /** As root the children run as nobody, who must be able to pass the temp directory to reach the home. */
  @org.junit.jupiter.api.BeforeEach
  void letTheChildUserReachTheHome() throws IOException {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
  }

  @AfterEach
  void noProcessLeftBehind() throws Exception {
    if (home == null) {
      return;
    }
    AgentdHomes.stopAndCheck(home, () -> agentd("daemon", "stop"));
  }

  @Test
  void startStatusToolsRestartsAndStop() throws Exception {
    home = dir.resolve("home");
    Result start = agentd("daemon", "start");
    assertThat(start.code()).as(start.err()).isZero();
    assertThat(start.out()).startsWith("agentd started (pid ");
    assertThat(agentd("daemon", "start").out()).startsWith("agentd already running (pid ");
    await().atMost(WAIT).until(this::allReady);
    JsonNode s = status();
    assertThat(s.path("supervisor").path("running").asBoolean()).isTrue();
    assertThat(s.path("children").get(0).fieldNames()).toIterable()
        .contains("name", "state", "pid", "uptimeMs", "restarts", "lastExit", "cpuMs", "rssBytes", "policy");
    assertThat(s.path("children").get(0).path("policy").asText())
        .isEqualTo("onFailure(exponential(1s..30s), resetAfter 60s, giveUpAfter 5 in 60s)");
    Result explain = agentd("daemon", "explain", "validator");
    assertThat(explain.code()).as(explain.err()).isZero();
    assertThat(explain.out()).startsWith("validator: policy onFailure(").contains("  crash 2 at 1s: restart in 2s\n")
        .contains("it would be FATAL at crash 6, 31s after the first start");
    assertThat(agentd("daemon", "explain", "nobody").err()).startsWith("agentd: no child named 'nobody'; children: validator,");
    // as root the children run as nobody: the public key is then readable by nobody's group, never writable
    boolean shared = Files.readString(Path.of("/proc/self/status")).contains("\nUid:\t0\t");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("keys/validator/approval.key"))))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("keys/public/approval.pub"))))
        .isEqualTo(shared ? "rw-r-----" : "rw-------");

    // kill -9 each child in turn: it comes back, counted
    for (String name : List.of("validator", "executor", "scheduler")) {
      long pid = childPid(name);
      ProcessHandle.of(pid).orElseThrow().destroyForcibly();
      await().atMost(WAIT).until(() -> childPid(name) != pid && allReady());
      for (JsonNode c : status().path("children")) {
        if (c.path("name").asText().equals(name)) {
          assertThat(c.path("restarts").asInt()).isEqualTo(1);
          assertThat(c.path("lastExit").path("text").asText()).isEqualTo("signal KILL");
        }
      }
    }

    // a rolling restart: one child at a time, each back READY before the next
    Map<String, Long> beforeRolling = new HashMap<>();
    for (String n : List.of("validator", "executor", "scheduler")) {
      beforeRolling.put(n, childPid(n));
    }
    Result rolling = agentd("daemon", "restart", "--rolling", "--timeout", "60s");
    assertThat(rolling.out().trim()).as(rolling.err()).isEqualTo("rolling restart done: validator, executor, scheduler");
    assertThat(allReady()).isTrue();
    for (String n : List.of("validator", "executor", "scheduler")) {
      assertThat(childPid(n)).isNotEqualTo(beforeRolling.get(n));
    }

    // logs and inspect
    Result logs = agentd("logs", "validator", "-n", "1");
    assertThat(logs.out()).as(logs.err()).startsWith("validator serving ");
    assertThat(agentd("logs", "ghost").err()).startsWith("agentd: no log for 'ghost' at ");
    Result inspect = agentd("inspect", "executor");
    assertThat(inspect.out()).as(inspect.err()).startsWith("executor (READY, 1 restarts)")
        .contains("  policy      onFailure(exponential(1s..30s), resetAfter 60s, giveUpAfter 5 in 60s)\n")
        .contains("  dependsOn   [], dependents [\"scheduler\"]").contains("    AGENTD_VERIFY_KEY=****\n");

    // each kill is an incident: the exit, the decision, the child's last output
    Result inc = agentd("incidents", "validator");
    assertThat(inc.code()).as(inc.err()).isZero();
    assertThat(inc.out()).contains(" validator run 1: signal KILL after ").contains("; restart in 1s\n").contains("    peak rss ");
    JsonNode all = JSON.readTree(agentd("incidents", "--json").out());
    assertThat(all).hasSize(3);
    assertThat(all.get(0).path("lastLines").size()).isPositive();
    assertThat(agentd("incidents", "ghost").err()).startsWith("agentd: no child named 'ghost'");

    // tool round trips for each kind
    assertThat(agentd("tool", "write", "notes/a.txt", "--text", "line one").code()).isEqualTo(1); // parent dir missing
    Result w = agentd("tool", "write", "a.txt", "--text", "hello agent");
    assertThat(w.code()).as(w.err()).isZero();
    assertThat(w.out().trim()).isEqualTo("wrote 11 bytes to " + home.resolve("workspace/a.txt"));
    assertThat(agentd("tool", "read", "a.txt").out()).isEqualTo("hello agent");
    assertThat(agentd("tool", "list").out().lines().toList()).contains("a.txt");
    Result e = agentd("tool", "exec", "--", "echo", "hi; rm -rf /");
    assertThat(e.out().trim()).isEqualTo("hi; rm -rf /"); // an argument, never a shell

    // a denied intent is refused and audited
    Result denied = agentd("tool", "read", "/etc/passwd");
    assertThat(denied.code()).isEqualTo(1);
    assertThat(denied.err().trim()).isEqualTo("agentd: denied by default-deny: no rule allows read /etc/passwd; deny by default");
    List<String> audit = Files.readAllLines(home.resolve("audit.log"));
    assertThat(audit).anySatisfy(l -> assertThat(l).contains("\"path\":\"/etc/passwd\"", "\"decision\":\"deny\"", "\"rule\":\"default-deny\""));
    assertThat(audit).anySatisfy(l -> assertThat(l).contains("\"decision\":\"allow\"", "\"rule\":\"exec-echo\""));

    Result stop = agentd("daemon", "stop");
    assertThat(stop.out()).as(stop.err()).startsWith("agentd stopped (pid ");
    assertThat(processesOfHome()).isEmpty();
    Result st = agentd("daemon", "status");
    assertThat(st.code()).isEqualTo(3);
    assertThat(st.out().trim()).isEqualTo("agentd is not running (home " + home + ")");
  }

  private ObjectNode validate(Intent intent) throws Exception {
    ObjectNode req = JSON.createObjectNode().put("type", "validate");
    req.set("intent", intent.toJson());
    return JsonLineClient.of(home.resolve("work/validator/validator.sock"), Duration.ofSeconds(10)).call(req);
  }

  private ObjectNode execute(JsonNode intent, JsonNode approval) throws Exception {
    ObjectNode req = JSON.createObjectNode().put("type", "execute");
    req.set("intent", intent);
    req.set("approval", approval);
    return JsonLineClient.of(home.resolve("work/executor/executor.sock"), Duration.ofSeconds(10)).call(req);
  }

  @Test
  void forgedExpiredReplayedAndAlteredApprovalsAreRefused() throws Exception {
    home = dir.resolve("home");
    assertThat(agentd("daemon", "start").code()).isZero();
    ObjectNode ok = validate(Intent.exec(List.of("echo", "approved")));
    assertThat(ok.path("decision").asText()).isEqualTo("allow");
    assertThat(execute(ok.get("intent"), ok.get("approval")).path("output").asText()).isEqualTo("approved\n");

    assertThatThrownBy(() -> execute(ok.get("intent"), ok.get("approval")))
        .isInstanceOf(RpcException.class).hasMessage("approval already used (replay)");

    ObjectNode forged = ok.get("approval").deepCopy();
    forged.put("signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assertThatThrownBy(() -> execute(ok.get("intent"), forged)).isInstanceOf(RpcException.class)
        .hasMessage("approval signature does not match this intent (forged, or the intent was altered)");

    ObjectNode fresh = validate(Intent.exec(List.of("echo", "harmless")));
    ObjectNode altered = Intent.exec(List.of("rm", "-rf", "/tmp/x")).toJson();
    assertThatThrownBy(() -> execute(altered, fresh.get("approval"))).isInstanceOf(RpcException.class)
        .hasMessage("approval signature does not match this intent (forged, or the intent was altered)")
        .satisfies(x -> assertThat(((RpcException) x).code()).isEqualTo(ErrorCode.FORBIDDEN));

    // signed by another key: what anyone without the validator's private key can do at best
    Intent other = Intent.exec(List.of("echo", "other key"));
    ObjectNode foreign = Approvals.signer(KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate(), Clock.systemUTC(),
        Approvals.TTL).issue(other, Optional.of(Path.of("/usr/bin/echo")));
    assertThatThrownBy(() -> execute(other.toJson(), foreign)).isInstanceOf(RpcException.class)
        .hasMessage("approval signature does not match this intent (forged, or the intent was altered)");

    // expired: signed with the real key (the test runs as the home's owner) by a clock 31 s behind, no waiting
    PrivateKey real = ApprovalKeys.loadPrivate(home.resolve("keys/validator/approval.key"));
    ObjectNode late = Approvals.signer(real, Clock.offset(Clock.systemUTC(), Duration.ofSeconds(-31)), Approvals.TTL)
        .issue(other, Optional.of(Path.of("/usr/bin/echo")));
    assertThatThrownBy(() -> execute(other.toJson(), late)).isInstanceOf(RpcException.class)
        .hasMessageStartingWith("approval expired at ");

    assertThatThrownBy(() -> execute(Intent.read(Path.of("../../etc/passwd")).toJson(), JSON.createObjectNode()))
        .hasMessage("missing or malformed approval: ask the validator first");
    assertThat(Files.readString(home.resolve("logs/executor.log"))).contains("REFUSED exec rm -rf /tmp/x");
  }

  @Test
  void aJobRunsOnScheduleAndInterruptedRunsAreMarkedFailed() throws Exception {
    home = dir.resolve("home");
    Files.createDirectories(home);
    assertThat(agentd("jobs", "add", "tick", "--cron", "* * * * * *", "exec", "echo", "tick").code()).isZero();
    assertThat(agentd("jobs", "add", "bad", "--cron", "* * * * * *", "--", "exec", "rm", "-rf", "/tmp/nothing").code()).isZero();
    assertThat(agentd("daemon", "start").code()).isZero();
    await().atMost(WAIT).until(() -> agentd("jobs", "runs", "tick").out().contains(" ok "));
    assertThat(agentd("jobs", "runs", "tick").out()).contains("tick");
    await().atMost(WAIT).until(() -> agentd("jobs", "runs", "bad").out().contains(" denied "));

    // a run the scheduler leaves 'running' when it dies is marked failed by its next start
    assertThat(agentd("jobs", "remove", "tick").code()).isZero();
    assertThat(agentd("jobs", "remove", "bad").code()).isZero();
    long orphanRun;
    try (JobStore store = JobStore.open(home.resolve("work/scheduler/scheduler.db"))) {
      JobStore.Job j = store.add("slow", "0 0 1 1 *", Intent.exec(List.of("date")), Instant.now());
      orphanRun = store.startRun(j, Instant.now());
    }
    long scheduler = childPid("scheduler");
    ProcessHandle.of(scheduler).orElseThrow().destroyForcibly();
    await().atMost(WAIT).until(() -> childPid("scheduler") != scheduler && allReady());
    await().atMost(WAIT).until(() -> {
      try (JobStore store = JobStore.open(home.resolve("work/scheduler/scheduler.db"))) {
        return store.runs("slow", 10).stream().anyMatch(r -> r.id() == orphanRun && r.status().equals("failed"));
      }
    });
  }

  @Test
  void aKilledSupervisorLeavesNoOrphansAndStartsCleanlyAgain() throws Exception {
    home = dir.resolve("home");
    assertThat(agentd("--orphans", "kill", "daemon", "start").code()).isZero();
    await().atMost(WAIT).until(this::allReady);
    long supervisor = status().path("supervisor").path("pid").asLong();
    Map<String, Long> before = new HashMap<>();
    for (String n : List.of("validator", "executor", "scheduler")) {
      before.put(n, childPid(n));
    }
    ProcessHandle.of(supervisor).orElseThrow().destroyForcibly();
    await().atMost(WAIT).until(() -> processesOfHome().isEmpty()); // children die with it
    Result again = agentd("daemon", "start");
    assertThat(again.out()).as(again.err()).startsWith("agentd started (pid ");
    await().atMost(WAIT).until(this::allReady);
    assertThat(processesOfHome()).as("one supervisor and three children").hasSize(4);
    for (String n : List.of("validator", "executor", "scheduler")) {
      assertThat(childPid(n)).isNotEqualTo(before.get(n));
    }
  }

  /** Issue: adoption end to end. The children outlive a SIGKILLed supervisor and the next one adopts them. */
  @Test
  void withAdoptionTheChildrenKeepTheirPidsAcrossASupervisorCrash() throws Exception {
    home = dir.resolve("home");
    assertThat(agentd("--orphans", "adopt", "daemon", "start").code()).isZero();
    await().atMost(WAIT).until(this::allReady);
    long executor = childPid("executor");
    ProcessHandle.of(executor).orElseThrow().destroyForcibly(); // one restart on the record before the crash
    await().atMost(WAIT).until(() -> childPid("executor") != executor && allReady());
    JsonNode before = status();
    long supervisor = before.path("supervisor").path("pid").asLong();
    ProcessHandle.of(supervisor).orElseThrow().destroyForcibly();
    await().atMost(WAIT).until(() -> ProcessHandle.of(supervisor).isEmpty());
    assertThat(processesOfHome()).as("the three children outlive their supervisor").hasSize(3);

    Result again = agentd("--orphans", "adopt", "daemon", "start");
    assertThat(again.out()).as(again.err()).startsWith("agentd started (pid ");
    await().atMost(WAIT).until(this::allReady);
    JsonNode after = status();
    for (int i = 0; i < 3; i++) {
      JsonNode b = before.path("children").get(i);
      JsonNode a = after.path("children").get(i);
      assertThat(a.path("name").asText()).isEqualTo(b.path("name").asText());
      assertThat(a.path("pid").asLong()).as("%s keeps its pid", a.path("name").asText()).isEqualTo(b.path("pid").asLong());
      assertThat(a.path("restarts").asInt()).as("%s keeps its restart count", a.path("name").asText())
          .isEqualTo(b.path("restarts").asInt());
    }
    assertThat(processesOfHome()).as("one supervisor and the same three children").hasSize(4);

    // an adopted child that crashes is restarted by its policy
    long adopted = childPid("validator");
    ProcessHandle.of(adopted).orElseThrow().destroyForcibly();
    await().atMost(WAIT).until(() -> childPid("validator") != adopted && allReady());
    for (JsonNode c : status().path("children")) {
      if (c.path("name").asText().equals("validator")) {
        assertThat(c.path("restarts").asInt()).isEqualTo(1);
      }
    }
  }

  /** Issue: the HTTP API on the daemon, started in the background with --http. */
  @Test
  void theDaemonServesItsHttpApiWhenAsked() throws Exception {
    home = dir.resolve("home");
    Result start = agentd("--http", "127.0.0.1:0", "daemon", "start");
    assertThat(start.code()).as(start.err()).isZero();
    await().atMost(WAIT).until(this::allReady);
    String base = "http://" + Files.readString(home.resolve("run/http.addr")).trim();
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    String token = Files.readString(home.resolve("http.token")).trim();
    var anonymous = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/api/daemons")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(anonymous.statusCode()).isEqualTo(401);
    var status = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/api/daemons"))
        .header("Authorization", "Bearer " + token).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(JSON.readTree(status.body()).path("children")).hasSize(3);

    // the one-time login URL start printed, and another from login-url: each buys a session cookie once
    var printed = java.util.regex.Pattern.compile("dashboard login \\(works once, within 10 minutes\\): (" + java.util.regex.Pattern.quote(base)
        + "/login\\?once=[A-Za-z0-9_-]+)").matcher(start.out());
    assertThat(printed.find()).as(start.out()).isTrue();
    Result more = agentd("daemon", "login-url");
    assertThat(more.code()).as(more.err()).isZero();
    for (String url : List.of(printed.group(1), more.out().substring(more.out().indexOf("http://")).trim())) {
      var login = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(login.statusCode()).as(url).isEqualTo(303);
      String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
      assertThat(http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/api/daemons")).header("Cookie", cookie)
          .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      assertThat(http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).as("used up").isEqualTo(401);
    }
    var rolling = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/api/rolling-restart?perChild=60s"))
        .header("Authorization", "Bearer " + token).POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(rolling.statusCode()).as(rolling.body()).isEqualTo(200);
    assertThat(JSON.readTree(rolling.body()).path("restarted")).extracting(JsonNode::asText)
        .containsExactly("validator", "executor", "scheduler");
    var metrics = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/metrics"))
        .header("Authorization", "Bearer " + token).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.body()).contains("supervisor_child_ready{child=\"scheduler\"} 1.0");
    assertThat(agentd("daemon", "stop").code()).isZero();
    assertThat(home.resolve("run/http.addr")).as("login-url must not point at a port agentd left").doesNotExist();
    assertThat(agentd("daemon", "login-url").code()).isEqualTo(3);
  }

  /** Issue: force kill of a hung supervisor, children included (adoption mode: no parent-death signal to do it for us). */
  @Test
  void daemonKillEndsAHungSupervisorAndItsChildrenByTheirRecordedSignatures() throws Exception {
    home = dir.resolve("home");
    assertThat(agentd("--orphans", "adopt", "daemon", "start").code()).isZero();
    await().atMost(WAIT).until(this::allReady);
    Result answering = agentd("daemon", "kill");
    assertThat(answering.code()).isEqualTo(1);
    assertThat(answering.err()).contains("answers on its control socket: it is not hung; stop it with 'agentd daemon stop'");
    long supervisor = status().path("supervisor").path("pid").asLong();
    await().atMost(WAIT).until(() -> dev.supervisor.persist.StateStore.atomicJsonFile(home.resolve("state.json")).load()
        .map(st -> st.children().stream().filter(c -> c.process().isPresent()).count() == 3).orElse(false));
    TestProcesses.builder("kill", "-STOP", Long.toString(supervisor)).start().waitFor();
    Result kill = agentd("daemon", "kill", "--timeout", "1s");
    assertThat(kill.code()).as(kill.err()).isZero();
    assertThat(kill.out().trim()).isEqualTo("agentd killed (pid " + supervisor + ", 3 child process groups); the lock is free");
    await().atMost(WAIT).until(() -> processesOfHome().isEmpty());
    assertThat(agentd("daemon", "kill").out().trim()).isEqualTo("agentd is not running (home " + home + ")");
    assertThat(agentd("daemon", "start").out()).startsWith("agentd started (pid ");
    await().atMost(WAIT).until(this::allReady);
  }

  /** Issue: on stop the scheduler drains: no new runs, the one in flight cancelled after the grace (1 s here). */
  @Test
  void stoppingTheSchedulerRecordsTheRunInFlightAsCancelled() throws Exception {
    home = dir.resolve("home");
    Files.createDirectories(home);
    Files.writeString(home.resolve("policy.json"), Policy.DEFAULT.replace(" \"rules\": [\n",
        " \"rules\": [\n  {\"name\": \"exec-sleep\", \"tool\": \"exec\", \"allow\": true, \"command\": \"sleep\", \"args\": [\"8\"]},\n"));
    assertThat(agentd("jobs", "add", "slow", "--cron", "* * * * * *", "exec", "sleep", "8").code()).isZero();
    assertThat(agentd("daemon", "start").code()).isZero();
    await().atMost(WAIT).until(() -> agentd("jobs", "runs", "slow").out().contains(" running "));
    assertThat(agentd("daemon", "stop").code()).isZero();
    try (JobStore store = JobStore.open(home.resolve("work/scheduler/scheduler.db"))) {
      List<JobStore.Run> runs = store.runs("slow", 10);
      assertThat(runs).extracting(JobStore.Run::status).containsExactly("cancelled");
      assertThat(runs.get(0).output()).isEqualTo("cancelled: the scheduler was stopped and the run did not finish within 1s");
    }
  }

  private static void signal(String sig, long pid) throws Exception {
    assertThat(TestProcesses.builder("kill", "-" + sig, Long.toString(pid)).start().waitFor()).isZero();
  }

  /**
   * Issue "Operations never take it down", item 2: with the supervisor SIGSTOPped, 'daemon status'
   * said "not running" (exit 3) and 'status --json' and 'tool list' hung. Now each says "not
   * responding" (exit 4) with the pid and the way out, and 'daemon start' says so at once.
   */
  @Test
  void aStoppedSupervisorIsNotRespondingNeverNotRunning() throws Exception {
    home = dir.resolve("home");
    assertThat(agentd("daemon", "start").code()).isZero();
    long sup = status().path("supervisor").path("pid").asLong();
    signal("STOP", sup);
    try {
      long t0 = System.nanoTime();
      Result st = agentd("--timeout", "2s", "daemon", "status");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("the timeout, plus a JVM start").isLessThan(Duration.ofSeconds(2 + 8));
      assertThat(st.code()).as(st.out() + st.err()).isEqualTo(4);
      assertThat(st.out().trim()).isEqualTo("agentd is not responding (pid " + sup + ", home " + home + "): it is stopped (SIGSTOP or"
          + " a debugger); 'kill -CONT " + sup + "' resumes it, 'agentd daemon kill' ends it and its children");

      t0 = System.nanoTime();
      Result json = agentd("--timeout", "2s", "daemon", "status", "--json");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2 + 8));
      assertThat(json.code()).as(json.err()).isEqualTo(4);
      JsonNode s = JSON.readTree(json.out()).path("supervisor");
      assertThat(s.path("running").asBoolean()).as("a process holds the home: never report it free").isTrue();
      assertThat(s.path("responding").asBoolean(true)).isFalse();
      assertThat(s.path("pid").asLong()).isEqualTo(sup);
      assertThat(json.err()).contains("'agentd daemon kill'");

      Result tool = agentd("--timeout", "2s", "tool", "list");
      assertThat(tool.code()).as(tool.out() + tool.err()).isEqualTo(4);
      assertThat(tool.err()).startsWith("agentd is not responding: the supervisor (pid " + sup + ") holds " + home)
          .contains("it is stopped").contains("'agentd daemon kill'");

      t0 = System.nanoTime();
      Result start = agentd("daemon", "start");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("at once: less than the 5 s answer timeout, JVM start included")
          .isLessThan(Duration.ofSeconds(5));
      assertThat(start.code()).as(start.out() + start.err()).isEqualTo(4);
      assertThat(start.err()).contains("(pid " + sup + ")").contains("nothing was started").contains("'agentd daemon kill'");
      assertThat(processesOfHome()).as("no second supervisor").filteredOn(l -> l.contains(" daemon run")).hasSize(1);
    } finally {
      signal("CONT", sup);
    }
    Result again = agentd("daemon", "status");
    assertThat(again.code()).as(again.out() + again.err()).isZero();
  }

  /** Item 3: with run/control.sock deleted, the supervisor binds it again and clients find it within a few seconds. */
  @Test
  void aDeletedControlSocketIsBoundAgain() throws Exception {
    home = dir.resolve("home");
    assertThat(agentd("daemon", "start").code()).isZero();
    long sup = status().path("supervisor").path("pid").asLong();
    Files.delete(home.resolve("run/control.sock"));
    await().atMost(Duration.ofSeconds(15)).until(() -> agentd("daemon", "status").code() == 0);
    assertThat(status().path("supervisor").path("pid").asLong()).isEqualTo(sup);
    Result start = agentd("daemon", "start");
    assertThat(start.out()).as(start.err()).startsWith("agentd already running (pid " + sup + ")");
    assertThat(Files.readString(home.resolve("logs/daemon.log")))
        .contains("socket file " + home.resolve("run/control.sock") + " was deleted: bound it again");
  }

  /**
   * Item 6: a FATAL child had no way out from the CLI, and 'daemon start' did not say it left the
   * supervisor running. The child here exits 1 at once until a file exists, with maxRestarts 1.
   */
  @Test
  void aFatalChildIsNamedByStartAndBroughtBackByDaemonRestart() throws Exception {
    home = dir.resolve("home");
    Path ok = dir.resolve("ok");
    Path config = dir.resolve("children.json");
    // notify readiness: without any, a child that exits at once is RUNNING (so "up") for an instant
    Files.writeString(config, "{\"children\": [{\"name\": \"x\", \"command\": [\"sh\", \"-c\", \"test -f " + ok
        + " || { echo no " + ok + "; exit 1; }; systemd-notify --ready; exec sleep 1000\"], \"env\": {\"AGENTD_HOME\": \"" + home
        + "\"}, \"readiness\": \"notify\", \"readyTimeout\": \"20s\", \"restart\": \"on-failure\","
        + " \"backoff\": {\"initial\": \"100ms\", \"max\": \"100ms\"}, \"maxRestarts\": 1, \"window\": \"60s\", \"stopGrace\": \"1s\"}]}");
    Result start = agentd("--config", config.toString(), "daemon", "start");
    assertThat(start.code()).as(start.out() + start.err()).isEqualTo(1);
    long sup = status().path("supervisor").path("pid").asLong();
    assertThat(start.err().trim()).startsWith("agentd is running (pid " + sup + ") but child 'x' is FATAL: ")
        .contains("exit code 1").endsWith("; fix it, then run 'agentd daemon restart x'");
    Result again = agentd("--config", config.toString(), "daemon", "start");
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err().trim()).isEqualTo(start.err().trim());

    Result notYet = agentd("daemon", "restart", "x");
    assertThat(notYet.code()).as(notYet.out()).isEqualTo(1);
    assertThat(notYet.err().trim()).startsWith("agentd: child 'x' is FATAL again: ")
        .endsWith("; fix it ('agentd logs x' shows its output), then run 'agentd daemon restart x'");

    Files.writeString(ok, "fixed");
    Result restart = agentd("daemon", "restart", "x");
    assertThat(restart.code()).as(restart.err()).isZero();
    assertThat(restart.out().trim()).matches("child 'x' restarted: READY \\(pid \\d+\\)");
    JsonNode x = status().path("children").get(0);
    assertThat(x.path("state").asText()).isEqualTo("READY");
    assertThat(agentd("--config", config.toString(), "daemon", "start").out()).startsWith("agentd already running (pid " + sup + ")");

    Result stop = agentd("daemon", "stop", "x");
    assertThat(stop.out().trim()).as(stop.err()).isEqualTo("child 'x' stopped");
    Result startX = agentd("daemon", "start", "x");
    assertThat(startX.out().trim()).as(startX.err()).matches("child 'x' started: READY \\(pid \\d+\\)");
    assertThat(agentd("daemon", "restart", "nobody").err().trim()).startsWith("agentd: no child named 'nobody'; children: x");
    assertThat(agentd("daemon", "restart", "--rolling", "x").code()).isEqualTo(2);
  }

  /**
   * Issues: `date -f <key>` leaked the approval key; the daemon's PATH chose the binary; a home
   * with glob characters denied every file. Here a home like that, a PATH that starts with a fake
   * `true`, and a home left by an earlier version (the shared key, the old default policy).
   */
  @Test
  void theExecPolicyKeysAndCommandPathHoldEndToEnd() throws Exception {
    home = dir.resolve("x[1]{a,b}*");
    Path evil = Files.createDirectory(dir.resolve("evil"));
    Path marker = dir.resolve("hijacked");
    Path fake = evil.resolve("true");
    Files.writeString(fake, "#!/bin/sh\ntouch " + marker + "\n");
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
    env.put("PATH", evil + ":" + System.getenv("PATH"));
    Files.createDirectories(home);
    Files.write(home.resolve("agentd.key"), new byte[32]);
    Files.writeString(home.resolve("policy.json"), Policy.PREVIOUS_DEFAULT);

    Result start = agentd("daemon", "start");
    assertThat(start.code()).as(start.err()).isZero();
    await().atMost(WAIT).until(this::allReady);
    assertThat(home.resolve("agentd.key")).doesNotExist();
    assertThat(Files.readString(home.resolve("policy.json"))).isEqualTo(Policy.DEFAULT);
    String daemonLog = Files.readString(home.resolve("logs/daemon.log"));
    assertThat(daemonLog).contains("deleted " + home.resolve("agentd.key") + ", the shared key of earlier versions")
        .contains("replaced the previous built-in policy in " + home.resolve("policy.json"));

    // the workspace works although its path is no valid glob of itself
    assertThat(agentd("tool", "write", "a.txt", "--text", "hello").code()).isZero();
    assertThat(agentd("tool", "read", "a.txt").out()).isEqualTo("hello");
    assertThat(agentd("tool", "list").out().lines().toList()).containsExactly("a.txt");
    Result ls = agentd("tool", "exec", "--", "ls", "-l");
    assertThat(ls.code()).as(ls.err()).isZero();
    assertThat(ls.out()).contains(" a.txt\n");

    Path key = home.resolve("keys/validator/approval.key");
    Result leak = agentd("tool", "exec", "--", "date", "-f", key.toString());
    assertThat(leak.code()).isEqualTo(1);
    assertThat(leak.out()).isEmpty();
    assertThat(leak.err().trim()).isEqualTo("agentd: denied by default-deny: no rule allows exec date -f " + key + "; exec-date: option"
        + " '-f' is not allowed for date (allowed: -u --utc --universal -R --rfc-email); deny by default");
    Result root = agentd("tool", "exec", "--", "ls", "/");
    assertThat(root.code()).isEqualTo(1);
    assertThat(root.err().trim()).isEqualTo("agentd: denied by default-deny: no rule allows exec ls /; exec-ls: '/' resolves to /,"
        + " outside the workspace " + home.resolve("workspace") + "; deny by default");
    assertThat(agentd("tool", "exec", "--", "date", "-u", "+%Y").out().trim()).matches("\\d{4}");

    // the fake `true` first on the PATH of the caller, the daemon and the executor never runs
    Result t = agentd("tool", "exec", "--", "true");
    assertThat(t.code()).as(t.err()).isZero();
    assertThat(marker).doesNotExist();
    List<String> audit = Files.readAllLines(home.resolve("audit.log"));
    assertThat(audit).anySatisfy(l -> assertThat(l).contains("\"argv\":[\"true\"]", "\"executable\":\"/usr/")
        .contains("\"decision\":\"allow\""));

    // the executor is told of the public key only
    String environ = Files.readString(Path.of("/proc/" + childPid("executor") + "/environ")).replace('\0', '\n');
    assertThat(environ).contains("AGENTD_VERIFY_KEY=" + home.resolve("keys/public/approval.pub") + "\n")
        .doesNotContain("keys/validator").doesNotContain("AGENTD_SIGNING_KEY");
    assertThat(Files.readString(Path.of("/proc/" + childPid("validator") + "/environ")))
        .contains("AGENTD_SIGNING_KEY=" + key).doesNotContain("AGENTD_VERIFY_KEY");
  }

  @Test
  void theTrioRunsUnprivilegedAndEachChildIsConfinedToItsOwnFiles() throws Exception {
    home = dir.resolve("home");
    Files.createDirectories(home);
    ObjectNode policy = (ObjectNode) JSON.readTree(Policy.DEFAULT);
    ((com.fasterxml.jackson.databind.node.ArrayNode) policy.get("rules")).insertObject(0).put("name", "exec-cat-anything")
        .put("tool", "exec").put("allow", true).put("command", "cat").put("args", "any");
    Files.writeString(home.resolve("policy.json"), policy.toString());
    Result start = agentd("daemon", "start");
    assertThat(start.code()).as(start.err()).isZero();
    await().atMost(WAIT).until(this::allReady);

    boolean root = Files.readString(Path.of("/proc/self/status")).contains("\nUid:\t0\t");
    for (String c : List.of("validator", "executor", "scheduler")) {
      String st = Files.readString(Path.of("/proc/" + childPid(c) + "/status"));
      assertThat(st).as(c).contains("NoNewPrivs:\t1");
      if (root) {
        assertThat(st).as(c).contains("Uid:\t65534\t65534\t65534\t65534").contains("CapEff:\t0000000000000000")
            .contains("CapBnd:\t0000000000000000");
      }
    }
    JsonNode children = status().path("children");
    boolean landlock = Runtime.version().feature() >= 22; // the jar was built and runs on this JDK
    for (JsonNode c : children) {
      JsonNode p = c.path("privileges");
      if (landlock) {
        assertThat(p.path("enforced").asBoolean()).as(c.path("name") + ": " + p.path("notEnforced")).isTrue();
      } else {
        assertThat(p.path("notEnforced").toString()).as(c.path("name").asText()).contains("Landlock needs the FFM API of JDK 22+");
      }
      assertThat(p.path("effective").path("noNewPrivileges").asBoolean()).isTrue();
    }
    assertThat(agentd("tool", "write", "mine.txt", "--text", "ok").code()).isZero();
    Result own = agentd("tool", "exec", "--", "cat", home.resolve("workspace/mine.txt").toString());
    assertThat(own.code()).as(own.err()).isZero();
    assertThat(own.out()).isEqualTo("ok");
    if (landlock) { // the policy lets cat read anything; the kernel still keeps the executor to its workspace
      for (Path secret : List.of(home.resolve("keys/validator/approval.key"), home.resolve("audit.log"), Path.of("/etc/shadow"),
          home.resolve("state.json"))) {
        Result r = agentd("tool", "exec", "--", "cat", secret.toString());
        assertThat(r.code()).as(secret.toString()).isNotZero();
        assertThat(r.out() + r.err()).as(secret.toString()).contains("/usr/bin/cat: " + secret + ": Permission denied")
            .doesNotContain("PRIVATE").doesNotContain("root:");
      }
    }
  }
}
