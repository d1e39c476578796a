package dev.supervisor.examples.http;

import static dev.supervisor.testsupport.TestChildren.sleeps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.supervisor.Supervisor;
import dev.supervisor.examples.tools.Jsons;
import dev.supervisor.ipc.Uids;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.TestProcesses;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP API against the local attacks: reads without the token on loopback, DNS rebinding
 * (a foreign Host), CSRF with the dashboard's cookie, clients that stall mid-request, and
 * another local user. Real server, real sockets.
 */
@ExtendWith(ProcessLeakGuard.class)
class HttpApiSecurityTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final Path SETPRIV = Path.of("/usr/bin/setpriv");
  private static final Path CURL = Path.of("/usr/bin/curl");
  @TempDir Path home;
  private Supervisor sup;
  private HttpApi api;
  private int port;
  private String base;
  private String token;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() throws Exception {
    sup = Supervisor.builder(home).shutdownHook(false).child(sleeps("a").build()).build();
    sup.startAsync().awaitHealthy(WAIT);
    api = HttpApi.start(sup, new InetSocketAddress("127.0.0.1", 0), home.resolve("http.token"));
    port = api.address().getPort();
    base = "http://127.0.0.1:" + port;
    token = Files.readString(home.resolve("http.token")).trim();
  }

  @AfterEach
  void stop() {
    api.close();
    sup.close();
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(WAIT);
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(WAIT).POST(HttpRequest.BodyPublishers.noBody());
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** One request on a raw socket (the JDK client will not send a foreign Host); the whole answer. */
  private String raw(String request) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout((int) WAIT.toMillis());
      s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private String withHost(String host, String path) throws IOException {
    return raw("GET " + path + " HTTP/1.1\r\n" + (host == null ? "" : "Host: " + host + "\r\n")
        + "Authorization: Bearer " + token + "\r\nConnection: close\r\n\r\n");
  }

  private static JsonNode jsonBody(String rawResponse) throws IOException {
    return Jsons.MAPPER.readTree(rawResponse.substring(rawResponse.indexOf("\r\n\r\n") + 4));
  }

  /** Issue: on loopback any local user read status, child logs, events and metrics without the token. */
  @Test
  void readsWithoutTheTokenAre401OnLoopbackTooAndTheProbesStayOpen() throws Exception {
    for (String path : List.of("/api/daemons", "/api/daemons/a", "/api/daemons/a/logs?lines=5", "/api/events", "/metrics",
        "/app.js")) {
      HttpResponse<String> r = get(path);
      assertThat(r.statusCode()).as(path).isEqualTo(401);
      assertThat(Jsons.MAPPER.readTree(r.body()).path("error").path("code").asText()).as(path).isEqualTo("UNAUTHORIZED");
      assertThat(get(path, "Authorization", "Bearer not-the-token").statusCode()).as(path).isEqualTo(401);
    }
    for (String path : List.of("/api/daemons", "/api/daemons/a", "/api/daemons/a/logs?lines=5", "/metrics", "/", "/app.js")) {
      assertThat(get(path, "Authorization", "Bearer " + token).statusCode()).as(path).isEqualTo(200);
    }
    HttpResponse<InputStream> events = http.send(HttpRequest.newBuilder(URI.create(base + "/api/events"))
        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(events.statusCode()).isEqualTo(200);
    events.body().close();
    HttpResponse<String> page = get("/");
    assertThat(page.statusCode()).isEqualTo(401);
    assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(page.body()).contains("agentd daemon serve", "agentd daemon login-url").doesNotContain(token, "<script");
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
    assertThat(get("/readyz").statusCode()).isEqualTo(200);
  }

  /** The dashboard's login: a one-time URL, traded once for an HttpOnly, SameSite=Strict cookie; no token in any page. */
  @Test
  void aLoginUrlBuysASessionCookieOnceAndTheCookieAuthenticatesReadsAndSameOriginWrites() throws Exception {
    String url = api.loginUrl();
    assertThat(url).startsWith(base + "/login?once=").doesNotContain(token);
    String path = url.substring(base.length());

    HttpResponse<String> login = get(path);
    assertThat(login.statusCode()).isEqualTo(303);
    assertThat(login.headers().firstValue("Location")).hasValue("/");
    assertThat(login.headers().firstValue("Cache-Control")).hasValue("no-store");
    String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(setCookie).startsWith("agentd-session-" + port + "=").contains("; HttpOnly", "; SameSite=Strict", "; Path=/")
        .doesNotContain(token);
    String cookie = setCookie.substring(0, setCookie.indexOf(';'));

    HttpResponse<String> page = get("/", "Cookie", cookie);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("<table id=\"children\">").doesNotContain(token, path.substring(path.indexOf('=') + 1));
    assertThat(get("/app.js", "Cookie", cookie).body()).doesNotContain(token);
    assertThat(get("/api/daemons", "Cookie", cookie).statusCode()).isEqualTo(200);
    assertThat(get("/api/daemons", "Cookie", "agentd-session-" + port + "=forged").statusCode()).isEqualTo(401);

    // writes with the cookie: from the page itself (its Origin, or none), never from another origin on this host
    assertThat(post("/api/daemons/a/restart", "Cookie", cookie, "Origin", base).statusCode()).isEqualTo(202);
    assertThat(post("/api/daemons/a/restart", "Cookie", cookie).statusCode()).isEqualTo(202);
    HttpResponse<String> csrf = post("/api/daemons/a/restart", "Cookie", cookie, "Origin", "http://127.0.0.1:9");
    assertThat(csrf.statusCode()).isEqualTo(403);
    assertThat(Jsons.MAPPER.readTree(csrf.body()).path("error").path("message").asText())
        .isEqualTo("cross-origin request refused: Origin 'http://127.0.0.1:9' is not this server (http://127.0.0.1:" + port + ")");
    assertThat(post("/api/daemons/a/restart", "Authorization", "Bearer " + token, "Origin", "http://127.0.0.1:9").statusCode())
        .as("the token is not a cookie: no browser sends it on its own").isEqualTo(202);

    // the code is used up
    HttpResponse<String> again = get(path);
    assertThat(again.statusCode()).isEqualTo(401);
    assertThat(again.headers().firstValue("Set-Cookie")).isEmpty();
    assertThat(again.body()).contains("has been used already, has expired").doesNotContain(token);
    assertThat(get("/login?once=garbage").statusCode()).isEqualTo(401);
    assertThat(get("/login", "Cookie", cookie).statusCode()).as("logged in already").isEqualTo(303);
  }

  /** Issue: DNS rebinding. A page of evil.example, resolved to 127.0.0.1, must not be served, not even the probes. */
  @Test
  void onLoopbackOnlyAHostNamingThisServerIsServed() throws Exception {
    for (String host : List.of("localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "localhost", "127.0.0.1", "LocalHost:" + port)) {
      assertThat(withHost(host, "/api/daemons")).as(host).startsWith("HTTP/1.1 200 ");
    }
    for (String host : List.of("evil.example:" + port, "evil.example", "localhost:" + (port == 1 ? 2 : 1), "127.0.0.1.evil.example:" + port)) {
      for (String path : List.of("/api/daemons", "/healthz", "/", "/login?once=x")) {
        String r = withHost(host, path);
        assertThat(r).as(host + path).startsWith("HTTP/1.1 421 ");
        assertThat(jsonBody(r).path("error").path("code").asText()).isEqualTo("MISDIRECTED_REQUEST");
      }
    }
    assertThat(jsonBody(withHost("evil.example:" + port, "/healthz")).path("error").path("message").asText())
        .isEqualTo("Host 'evil.example:" + port + "' does not name this server; on loopback agentd answers only to 127.0.0.1,"
            + " [::1], localhost (with port " + port + " or none), a guard against DNS rebinding");
    String none = raw("GET /healthz HTTP/1.0\r\n\r\n");
    assertThat(none).startsWith("HTTP/1.1 421 ");
    assertThat(jsonBody(none).path("error").path("message").asText()).startsWith("the request has no Host header; ");
  }

  /**
   * Issue: 40 connections that sent headers with a Content-Length and never the body made
   * /healthz unanswerable (the pool ran work on the dispatcher thread, and nothing timed out).
   */
  @Test
  void clientsThatStallMidRequestAreDroppedAndNeverStarveTheProbes() throws Exception {
    List<Socket> stalled = new ArrayList<>();
    try {
      long t0 = System.nanoTime();
      for (int i = 0; i < 40; i++) { // headers with a body announced, and no body
        stalled.add(stall("POST /api/daemons/a/restart HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAuthorization: Bearer " + token
            + "\r\nContent-Length: 100\r\n\r\n"));
      }
      for (int i = 0; i < 10; i++) { // headers never finished
        stalled.add(stall("GET /api/daemons HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nX-Half: "));
      }
      for (int i = 0; i < 10; i++) { // not a byte
        stalled.add(stall(""));
      }
      long asked = System.nanoTime();
      HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).timeout(Duration.ofSeconds(3))
          .build(), HttpResponse.BodyHandlers.ofString());
      long answeredMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked);
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(answeredMs).as("/healthz with 60 stalled clients, before the server drops them").isLessThan(3000);
      assertThat(get("/api/daemons", "Authorization", "Bearer " + token).statusCode()).isEqualTo(200);

      long slowestMs = 0;
      for (Socket s : stalled) {
        assertThat(closedByServer(s)).as("the server closed a stalled connection").isTrue();
        slowestMs = Math.max(slowestMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
      }
      assertThat(slowestMs).as("every stalled connection dropped within the request deadline and a tick or two")
          .isLessThan(HttpApi.REQUEST_DEADLINE.toMillis() + 4000);
      System.out.printf("stalled clients: /healthz answered in %d ms; all 60 dropped %d ms after they stalled%n", answeredMs,
          slowestMs);
    } finally {
      for (Socket s : stalled) {
        s.close();
      }
    }
  }

  private Socket stall(String partial) throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
    s.getOutputStream().write(partial.getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    return s;
  }

  /** True when the peer closes (EOF or reset) within 12 s: the server gave up on us. */
  private static boolean closedByServer(Socket s) throws IOException {
    s.setSoTimeout(12_000);
    try {
      return s.getInputStream().read() == -1;
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  /** Another local user (uid 65534: tests run as root) reaches the port, and gets nothing without the token. */
  @Test
  void anotherLocalUserWithoutTheTokenGets401() throws Exception {
    assumeTrue(Files.isExecutable(SETPRIV), "needs setpriv (util-linux)");
    assumeTrue(Uids.current() == 0, "switching to another uid needs root (CI runs as root)");
    assertThat(asNobody("/healthz")).isEqualTo("200");
    assertThat(asNobody("/api/daemons")).isEqualTo("401");
    assertThat(asNobody("/api/daemons/a/logs")).isEqualTo("401");
  }

  /** The HTTP status uid 65534 gets for {@code path}: through curl, or a one-file Java client where there is no curl. */
  private String asNobody(String path) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(SETPRIV.toString(), "--reuid=65534", "--regid=65534", "--clear-groups", "--"));
    if (Files.isExecutable(CURL)) {
      cmd.addAll(List.of(CURL.toString(), "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", base + path));
    } else {
      Path dir = Files.createTempDirectory("nobody-client");
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path client = Files.writeString(dir.resolve("Get.java"), "public class Get { public static void main(String[] a) throws Exception {"
          + " var c = (java.net.HttpURLConnection) new java.net.URL(a[0]).openConnection(); System.out.print(c.getResponseCode()); } }");
      Files.setPosixFilePermissions(client, PosixFilePermissions.fromString("rw-r--r--"));
      cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), client.toString(), base + path));
    }
    ProcessBuilder pb = TestProcesses.builder(cmd).redirectErrorStream(true);
    pb.environment().keySet().retainAll(List.of("PATH", "LANG"));
    pb.environment().putAll(Map.of(ProcessLeakGuard.MARK_VAR, ProcessLeakGuard.mark()));
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
  }
}
