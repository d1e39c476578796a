package dev.supervisor.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.supervisor.persist.ProcessSignature;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.TestProcesses;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The command line without a running supervisor: help on every command, the options, the three answers. */
@ExtendWith(ProcessLeakGuard.class)
class AgentdCliTest {
  @TempDir Path home;
  private final List<Process> started = new ArrayList<>();

  record Run(int code, String out, String err) {}

  private static Run agentd(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Agentd.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(code, out.toString(), err.toString());
  }

  @AfterEach
  void stopProcesses() throws Exception {
    for (Process p : started) {
      TestProcesses.builder("kill", "-CONT", Long.toString(p.pid())).start().waitFor();
      p.destroyForcibly().waitFor();
    }
  }

  @Test
  void aBadTimeoutIsAUsageError() {
    Run r = agentd("--home", home.toString(), "--timeout", "soon", "daemon", "status");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).startsWith("--timeout must be a positive duration such as 2s or 500ms, got 'soon'");
    assertThat(agentd("--home", home.toString(), "--timeout", "0", "daemon", "status").code()).isEqualTo(2);
  }

  @Test
  void theFastPathTakesTheHomeAndTheTimeoutInEitherOrder() {
    Path h = home.toAbsolutePath();
    assertThat(FastStatus.matches(new String[] {"--home", h.toString(), "--timeout", "2s", "daemon", "status", "--json"}))
        .isEqualTo(new FastStatus.Request(h, Duration.ofSeconds(2)));
    assertThat(FastStatus.matches(new String[] {"--timeout=250ms", "--home=" + h, "daemon", "status", "--json"}))
        .isEqualTo(new FastStatus.Request(h, Duration.ofMillis(250)));
    assertThat(FastStatus.matches(new String[] {"--home", h.toString(), "daemon", "status", "--json"}).timeout())
        .isEqualTo(Duration.ofSeconds(5));
    assertThat(FastStatus.matches(new String[] {"--timeout", "soon", "daemon", "status", "--json"})).as("picocli says why").isNull();
    assertThat(FastStatus.matches(new String[] {"--config", "x.json", "daemon", "status", "--json"})).isNull();
    assertThat(FastStatus.matches(new String[] {"daemon", "status"})).isNull();
  }

  @Test
  void withNothingHoldingTheHomeTheAnswerIsNotRunningAtOnce() throws Exception {
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> Liveness.ask(home, Duration.ofSeconds(5), t -> FastStatus.request(sock(), t)))
        .isInstanceOf(Liveness.NoAnswer.class).hasMessage("agentd is not running (home " + home + ")")
        .satisfies(e -> assertThat(((Liveness.NoAnswer) e).code()).isEqualTo(3));
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
    Run r = agentd("--home", home.toString(), "daemon", "status");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.out().trim()).isEqualTo("agentd is not running (home " + home + ")");
  }

  private Path sock() {
    return home.resolve("run/control.sock");
  }

  /** Makes a live process (a sleep) the recorded holder of the home's lock, as PidLock writes it. */
  private Process holder() throws Exception {
    Process p = TestProcesses.builder("env", ProcessLeakGuard.MARK_VAR + "=" + ProcessLeakGuard.mark(), "sleep", "600").start();
    started.add(p);
    ProcessSignature s = ProcessSignature.of(p.pid()).orElseThrow(); // env execs sleep: same pid, same start time
    Files.writeString(home.resolve("supervisor.pid"), s.pid() + "\n{\"pid\":" + s.pid() + ",\"startTicks\":" + s.startTicks()
        + ",\"startedAt\":\"2026-12-01T00:00:00Z\",\"version\":\"dev\"}\n");
    return p;
  }

  /** Issue: with its socket deleted, a supervisor was reported "not running" (exit 3). */
  @Test
  void aLiveHolderWithoutASocketIsNotRespondingAfterTheTimeout() throws Exception {
    Process p = holder();
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> Liveness.ask(home, Duration.ofMillis(600), t -> FastStatus.request(sock(), t)))
        .isInstanceOf(Liveness.NoAnswer.class)
        .hasMessage("agentd is not responding (pid " + p.pid() + ", home " + home + "): its control socket " + sock()
            + " is missing and did not come back within 600ms; end it and its children with 'agentd daemon kill'")
        .satisfies(e -> assertThat(((Liveness.NoAnswer) e).code()).isEqualTo(4));
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofMillis(550), Duration.ofSeconds(3));
    Run r = agentd("--home", home.toString(), "--timeout", "300ms", "daemon", "status");
    assertThat(r.code()).isEqualTo(4);
    assertThat(r.out()).contains("pid " + p.pid(), "'agentd daemon kill'");
    Run json = agentd("--home", home.toString(), "--timeout", "300ms", "daemon", "status", "--json");
    assertThat(json.code()).isEqualTo(4);
    assertThat(json.out()).startsWith("{\"supervisor\":{\"running\":true,\"responding\":false,\"pid\":" + p.pid() + ",\"home\":");
    assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out()).path("supervisor").path("error").asText())
        .isEqualTo(json.err().trim());
    for (String[] cmd : new String[][] {{"inspect", "x"}, {"incidents"}, {"daemon", "explain", "x"}, {"daemon", "restart", "x"},
        {"daemon", "stop"}, {"daemon", "stop", "x"}, {"daemon", "login-url"}}) {
      List<String> args = new ArrayList<>(List.of("--home", home.toString(), "--timeout", "300ms"));
      args.addAll(List.of(cmd));
      Run c = agentd(args.toArray(String[]::new));
      assertThat(c.code()).as("agentd %s: %s", List.of(cmd), c.err()).isEqualTo(4);
      assertThat(c.err()).as("agentd %s", List.of(cmd)).startsWith("agentd is not responding (pid " + p.pid() + ", ");
    }
  }

  /** Issue: with the supervisor SIGSTOPped, 'status --json' hung with no timeout and 'status' said "not running". */
  @Test
  void aHolderWhoseSocketAcceptsButNeverAnswersIsNotResponding() throws Exception {
    Process p = holder();
    Files.createDirectories(sock().getParent());
    try (ServerSocketChannel silent = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      silent.bind(UnixDomainSocketAddress.of(sock()), 16); // connections succeed, nobody accepts or answers
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> Liveness.ask(home, Duration.ofMillis(500), t -> FastStatus.request(sock(), t)))
          .isInstanceOf(Liveness.NoAnswer.class)
          .hasMessage("agentd is not responding (pid " + p.pid() + ", home " + home + "): its control socket accepts connections but"
              + " gave no answer within 500ms (hung or overloaded); try again with a longer --timeout, or end it and its children with"
              + " 'agentd daemon kill'");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofMillis(450), Duration.ofSeconds(2));
      Run r = agentd("--home", home.toString(), "--timeout", "500ms", "daemon", "status");
      assertThat(r.code()).isEqualTo(4);
      assertThat(r.out()).contains("gave no answer within 500ms");

      TestProcesses.builder("kill", "-STOP", Long.toString(p.pid())).start().waitFor();
      org.awaitility.Awaitility.await().until(() -> Liveness.isStopped(p.pid()));
      assertThatThrownBy(() -> Liveness.ask(home, Duration.ofMillis(500), t -> FastStatus.request(sock(), t)))
          .hasMessage("agentd is not responding (pid " + p.pid() + ", home " + home + "): it is stopped (SIGSTOP or a debugger); 'kill"
              + " -CONT " + p.pid() + "' resumes it, 'agentd daemon kill' ends it and its children");
    }
  }

  @Test
  void aHolderThatIsGoneOrARecycledPidIsNotAHolder() throws Exception {
    Files.writeString(home.resolve("supervisor.pid"), "1\n{\"pid\":1,\"startTicks\":123456789}\n");
    assertThat(Liveness.holder(home)).as("pid 1 with another start time").isEmpty();
    Files.writeString(home.resolve("supervisor.pid"), ""); // truncated by a clean exit
    assertThat(Liveness.holder(home)).isEmpty();
    Files.writeString(home.resolve("supervisor.pid"), "garbage");
    assertThat(Liveness.holder(home)).isEmpty();
  }
}
