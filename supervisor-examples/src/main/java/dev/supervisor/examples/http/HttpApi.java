package dev.supervisor.examples.http;

import static dev.supervisor.examples.http.HttpExchanges.contentLength;
import static dev.supervisor.examples.http.HttpExchanges.drain;
import static dev.supervisor.examples.http.HttpExchanges.error;
import static dev.supervisor.examples.http.HttpExchanges.json;
import static dev.supervisor.examples.http.HttpExchanges.loginPage;
import static dev.supervisor.examples.http.HttpExchanges.noFraming;
import static dev.supervisor.examples.http.HttpExchanges.only;
import static dev.supervisor.examples.http.HttpExchanges.query;
import static dev.supervisor.examples.http.HttpExchanges.send;
import static dev.supervisor.examples.http.HttpExchanges.tryError;
import static dev.supervisor.examples.http.HttpExchanges.unauthorized;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.supervisor.Registration;
import dev.supervisor.Supervisor;
import dev.supervisor.SupervisorState;
import dev.supervisor.SupervisorStatus;
import dev.supervisor.event.RestartScheduled;
import dev.supervisor.examples.http.HttpExchanges.MethodNotAllowed;
import dev.supervisor.examples.tools.Jsons;
import dev.supervisor.ipc.control.StatusJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The supervisor over HTTP (the JDK's built-in server; no container):
 * <pre>
 * GET  /                               the dashboard (static page, live over SSE)
 * GET  /api/daemons                    status, the shape of {@code status --json}, plus restartsPerMinute per child
 * GET  /api/daemons/{name}             one child
 * GET  /api/daemons/{name}/logs?lines=N
 * GET  /api/events                     Server-Sent Events: every supervisor event as JSON
 * POST /api/daemons/{name}/restart|stop|start
 * POST /api/rolling-restart?perChild=60s
 * GET  /healthz, /readyz               probes: 200 or 503, the only requests served without credentials
 * GET  /metrics                        Prometheus text format (Micrometer)
 * GET  /login?once=CODE                trades a one-time code ({@link LoginCodes}) for a session cookie, 303 to /
 * </pre>
 * Everything but the probes needs the operator token (in {@code <home>/http.token}, mode 0600) in
 * {@code Authorization: Bearer}, or the session cookie a one-time login URL gave the browser
 * ({@link #loginUrl()}); a write made with the cookie must come from this server's own page
 * (its {@code Origin}, when sent, names this server). On a loopback bind only requests whose
 * {@code Host} names this server are served, probes included (421 otherwise). Errors are JSON
 * {@code {"error":{"code":..,"message":..}}}. Handlers read published snapshots and never wait on
 * the supervisor's event loop.
 *
 * <p>Requests run on a bounded pool ({@value #WORKERS} workers, {@value #QUEUE} waiting, then the
 * connection is closed), never on the server's dispatcher thread; a client that has not sent its
 * whole request (headers and body) within {@link #REQUEST_DEADLINE} is disconnected by the JDK
 * server, which is told so through its {@code sun.net.httpserver.*} properties before the first
 * server of the JVM is made.
 */
public final class HttpApi implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
  static final int MAX_BODY = 64 * 1024;
  private static final int MAX_STREAMS = 16;
  /** Request workers: every SSE stream holds one, and so does every client still sending its request. */
  static final int WORKERS = 64;
  /** Requests waiting for a worker; past that the JDK server closes the new connection. */
  static final int QUEUE = 256;
  /** How long a client may take to send its request line, headers and body. */
  static final Duration REQUEST_DEADLINE = Duration.ofSeconds(5);

  static {
    // The JDK server reads these once, when its first instance in the JVM is made (ServerConfig's
    // static initializer, JDK 17 and 25 alike); -D values given by the user win.
    // maxReqTime (seconds): a connection still in its request (first byte to last byte of the body)
    // after this is closed; the check runs every timerMillis. Without it a stalled client holds a
    // worker forever. maxRspTime stays unset: an SSE stream is one response that never ends.
    defaultProperty("sun.net.httpserver.maxReqTime", Long.toString(REQUEST_DEADLINE.toSeconds()));
    defaultProperty("sun.net.httpserver.timerMillis", "1000");
    // clockTick (ms): how often connections that never sent a byte (closed after min(idleInterval,
    // maxReqTime)) and idle keep-alive ones (idleInterval, 30 s) are swept; 10 s by default.
    defaultProperty("sun.net.httpserver.clockTick", "1000");
  }

  private final Supervisor sup;
  private final HttpServer server;
  private final HttpAuth auth;
  private final ThreadPoolExecutor pool;
  private final HttpMetrics metrics;
  private final Registration restartTracker;
  /** Per child, made on its first restart: a child scaled up later has one too. */
  private final Map<String, Deque<Instant>> restartTimes = new java.util.concurrent.ConcurrentHashMap<>();
  private final AtomicInteger streams = new AtomicInteger();

  private HttpApi(Supervisor sup, HttpServer server, String token) {
    this.sup = sup;
    this.server = server;
    this.auth = new HttpAuth(token, server.getAddress(), Clock.systemUTC());
    // core = max, so a worker is started while fewer than WORKERS exist (idle ones end after 30 s);
    // a full queue is refused (the JDK server then closes that connection): never CallerRuns, which
    // would run a request, and a stalled client's read, on the dispatcher thread that serves everyone
    this.pool = new ThreadPoolExecutor(WORKERS, WORKERS, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
      Thread t = new Thread(r, "agentd-http");
      t.setDaemon(true);
      return t;
    }, new ThreadPoolExecutor.AbortPolicy());
    pool.allowCoreThreadTimeOut(true);
    this.restartTracker = sup.addListener(e -> {
      if (e instanceof RestartScheduled r) {
        Deque<Instant> d = restartTimes.computeIfAbsent(r.name(), n -> new ArrayDeque<>());
        synchronized (d) {
          d.addLast(r.at());
          while (d.size() > 10_000) {
            d.removeFirst();
          }
        }
      }
    }, Runnable::run);
    this.metrics = new HttpMetrics(sup);
  }

  /**
   * Serves {@code sup} on {@code bind}; the token is read from (or created in) {@code tokenFile}.
   *
   * @throws IOException if the address cannot be bound or the token file is unusable
   */
  public static HttpApi start(Supervisor sup, InetSocketAddress bind, Path tokenFile) throws IOException {
    String token = HttpToken.loadOrCreate(tokenFile);
    HttpServer server;
    try {
      server = HttpServer.create(bind, 64);
    } catch (IOException e) {
      throw new IOException("cannot serve HTTP on " + bind + ": " + e.getMessage() + " (choose another --http address or port)", e);
    }
    HttpApi api = new HttpApi(sup, server, token);
    server.setExecutor(api.pool);
    server.createContext("/", api::handle);
    server.start();
    log.info("HTTP API on http://{}/ (everything but /healthz and /readyz needs the token or a login session{})",
        LoginCodes.hostPort(server.getAddress()), api.auth.loopback() ? "; Host checked" : "");
    if (!(Long.getLong("sun.net.httpserver.maxReqTime", -1) > 0)) {
      log.warn("sun.net.httpserver.maxReqTime is {}: clients that stall mid-request are never dropped and can take"
          + " every HTTP worker", System.getProperty("sun.net.httpserver.maxReqTime"));
    }
    return api;
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  /**
   * A one-time login URL for the dashboard: it works once, within {@link LoginCodes#LIFETIME}, and
   * leaves the browser with a session cookie. {@code agentd daemon login-url} mints the same from
   * the token file.
   */
  public String loginUrl() {
    return LoginCodes.url(LoginCodes.hostPort(server.getAddress()), auth.token(), Instant.now());
  }

  @Override
  public void close() {
    restartTracker.remove();
    server.stop(0);
    pool.shutdownNow();
    metrics.close();
  }

  // ------------------------------------------------------------------ routing

  private void handle(HttpExchange ex) {
    try {
      String method = ex.getRequestMethod();
      URI uri = ex.getRequestURI();
      String path = uri.getPath();
      long length = contentLength(ex);
      if (length > MAX_BODY) {
        // read (and drop) up to 1 MiB first, so the client, still sending, gets the answer rather than a reset
        ex.getRequestBody().skipNBytes(Math.min(length, 1L << 20));
        ex.getResponseHeaders().set("Connection", "close"); // the rest of an over-long body must not be read as a request
        error(ex, 413, "TOO_LARGE", "request body of " + length + " bytes is over the " + MAX_BODY + "-byte limit");
        return;
      }
      drain(ex.getRequestBody());
      String misdirected = auth.misdirected(ex.getRequestHeaders());
      if (misdirected != null) {
        error(ex, 421, "MISDIRECTED_REQUEST", misdirected);
        return;
      }
      boolean probe = path.equals("/healthz") || path.equals("/readyz");
      boolean page = path.equals("/") || path.equals("/index.html");
      if (path.equals("/login")) {
        only(ex, method, "GET");
        login(ex, query(uri).get("once"));
        return;
      }
      HttpAuth.Via via = probe ? HttpAuth.Via.NONE : auth.authenticate(ex.getRequestHeaders());
      if (!probe && via == HttpAuth.Via.NONE) {
        if (page && (method.equals("GET") || method.equals("HEAD"))) {
          loginPage(ex, "You are not logged in.");
        } else {
          unauthorized(ex);
        }
        return;
      }
      String crossOrigin = via == HttpAuth.Via.SESSION && !method.equals("GET") && !method.equals("HEAD")
          ? HttpAuth.crossOrigin(ex.getRequestHeaders()) : null;
      if (crossOrigin != null) {
        error(ex, 403, "CROSS_ORIGIN", crossOrigin);
        return;
      }
      if (page || path.equals("/app.js") || path.equals("/app.css")) {
        only(ex, method, "GET");
        staticFile(ex, page ? "/index.html" : path);
      } else if (path.equals("/healthz")) {
        only(ex, method, "GET");
        SupervisorState s = sup.state();
        boolean ok = s == SupervisorState.RUNNING || s == SupervisorState.STARTING;
        json(ex, ok ? 200 : 503, Jsons.MAPPER.createObjectNode().put("status", ok ? "ok" : "down").put("state", s.name()));
      } else if (path.equals("/readyz")) {
        only(ex, method, "GET");
        readyz(ex);
      } else if (path.equals("/metrics")) {
        only(ex, method, "GET");
        send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape().getBytes(StandardCharsets.UTF_8));
      } else if (path.equals("/api/events")) {
        only(ex, method, "GET");
        events(ex);
      } else if (path.equals("/api/daemons") || path.equals("/api/daemons/")) {
        only(ex, method, "GET");
        json(ex, 200, daemons());
      } else if (path.equals("/api/rolling-restart")) {
        only(ex, method, "POST");
        rolling(ex, query(uri).getOrDefault("perChild", "60s"));
      } else if (path.startsWith("/api/daemons/")) {
        child(ex, method, path.substring("/api/daemons/".length()).split("/", -1), uri);
      } else {
        error(ex, 404, "NOT_FOUND", "no such endpoint: " + path);
      }
    } catch (MethodNotAllowed e) {
      tryError(ex, 405, "METHOD_NOT_ALLOWED", e.getMessage(), e.allow);
    } catch (IOException e) {
      log.debug("HTTP {} {}: {}", ex.getRequestMethod(), ex.getRequestURI(), e.toString());
    } catch (RuntimeException e) {
      log.error("HTTP {} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
      tryError(ex, 500, "INTERNAL", "internal error: " + e, null);
    } finally {
      ex.close(); // after the catch blocks: an error answer needs the exchange open
    }
  }

  private void child(HttpExchange ex, String method, String[] parts, URI uri) throws IOException {
    String name = parts[0];
    try {
      sup.spec(name);
    } catch (IllegalArgumentException e) { // "no child named 'x'; children: a, b"
      error(ex, 404, "NOT_FOUND", e.getMessage());
      return;
    }
    if (parts.length == 1) {
      only(ex, method, "GET");
      for (var c : daemons().withArray("children")) {
        if (c.path("name").asText().equals(name)) {
          json(ex, 200, (ObjectNode) c);
          return;
        }
      }
    } else if (parts.length == 2 && parts[1].equals("logs")) {
      only(ex, method, "GET");
      int lines;
      try {
        lines = Integer.parseInt(query(uri).getOrDefault("lines", "100"));
      } catch (NumberFormatException e) {
        lines = -1;
      }
      if (lines < 1 || lines > 10_000) {
        error(ex, 400, "INVALID_ARGUMENT", "lines must be a number in 1..10000");
        return;
      }
      var file = sup.logFile(name);
      if (file.isEmpty()) {
        error(ex, 404, "NOT_FOUND", "child '" + name + "' does not log");
        return;
      }
      ObjectNode out = Jsons.MAPPER.createObjectNode().put("name", name);
      dev.supervisor.LogTail.lastLines(file.get(), lines).forEach(out.putArray("lines")::add);
      json(ex, 200, out);
    } else if (parts.length == 2 && List.of("restart", "stop", "start").contains(parts[1])) {
      only(ex, method, "POST");
      switch (parts[1]) {
        case "restart" -> sup.restart(name);
        case "stop" -> sup.stop(name);
        default -> sup.start(name);
      }
      json(ex, 202, Jsons.MAPPER.createObjectNode().put("accepted", parts[1]).put("name", name));
    } else {
      error(ex, 404, "NOT_FOUND", "no such endpoint: /api/daemons/" + String.join("/", parts));
    }
  }

  // ------------------------------------------------------------------ endpoints

  private ObjectNode daemons() {
    SupervisorStatus s = metrics.status();
    ObjectNode root = StatusJson.toJson(s, ProcessHandle.current().pid(), sup.startedAt(), sup.home());
    Instant now = s.takenAt();
    for (var c : root.withArray("children")) {
      ArrayNode perMinute = ((ObjectNode) c).putArray("restartsPerMinute"); // the last hour, oldest minute first
      int[] buckets = new int[60];
      Deque<Instant> d = restartTimes.get(c.path("name").asText());
      if (d != null) {
        synchronized (d) {
          for (Instant t : d) {
            long ago = Duration.between(t, now).toMinutes();
            if (ago >= 0 && ago < 60) {
              buckets[59 - (int) ago]++;
            }
          }
        }
      }
      for (int b : buckets) {
        perMinute.add(b);
      }
    }
    return root;
  }

  private void readyz(HttpExchange ex) throws IOException {
    try {
      sup.awaitHealthy(Duration.ZERO);
      json(ex, 200, Jsons.MAPPER.createObjectNode().put("status", "ready"));
    } catch (TimeoutException | IllegalStateException e) {
      json(ex, 503, Jsons.MAPPER.createObjectNode().put("status", "not ready").put("reason", e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      error(ex, 503, "INTERRUPTED", "interrupted");
    }
  }

  private void rolling(HttpExchange ex, String perChild) throws IOException {
    Duration d;
    try {
      d = dev.supervisor.Durations.parse(perChild);
    } catch (IllegalArgumentException e) {
      error(ex, 400, "INVALID_ARGUMENT", "perChild: " + e.getMessage());
      return;
    }
    try {
      ObjectNode out = Jsons.MAPPER.createObjectNode();
      sup.rollingRestart(d).forEach(out.putArray("restarted")::add);
      json(ex, 200, out);
    } catch (TimeoutException e) {
      error(ex, 409, "DID_NOT_COME_BACK", e.getMessage());
    } catch (IllegalStateException e) {
      error(ex, 409, "NOT_RUNNING", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      error(ex, 503, "INTERRUPTED", "interrupted");
    }
  }

  /** Server-Sent Events: each event is queued by the listener (never blocking the loop) and written here. */
  private void events(HttpExchange ex) throws IOException {
    if (streams.incrementAndGet() > MAX_STREAMS) {
      streams.decrementAndGet();
      error(ex, 503, "BUSY", MAX_STREAMS + " event streams are open; try again later");
      return;
    }
    BlockingQueue<String> queue = new ArrayBlockingQueue<>(1000);
    // set on the supervisor's loop (a direct listener that only offers to the queue), read here
    java.util.concurrent.atomic.AtomicBoolean overflow = new java.util.concurrent.atomic.AtomicBoolean();
    Registration reg = sup.addListener(e -> {
      if (!queue.offer("event: " + e.type() + "\ndata: " + dev.supervisor.json.JsonForms.toJson(e) + "\n\n")) {
        overflow.set(true);
      }
    }, Runnable::run);
    try {
      ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
      ex.getResponseHeaders().set("Cache-Control", "no-cache");
      ex.sendResponseHeaders(200, 0);
      OutputStream out = ex.getResponseBody();
      out.write(": connected\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      while (!overflow.get() && !sup.state().isTerminal()) {
        String m = queue.poll(15, TimeUnit.SECONDS);
        out.write((m != null ? m : ": keep-alive\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      reg.remove();
      streams.decrementAndGet();
    }
  }

  private void staticFile(HttpExchange ex, String name) throws IOException {
    try (InputStream in = HttpApi.class.getResourceAsStream("/dashboard" + name)) {
      if (in == null) {
        error(ex, 404, "NOT_FOUND", "no such file: " + name);
        return;
      }
      String type = name.endsWith(".js") ? "text/javascript" : name.endsWith(".css") ? "text/css" : "text/html";
      noFraming(ex);
      send(ex, 200, type + "; charset=utf-8", in.readAllBytes());
    }
  }

  /**
   * {@code GET /login?once=CODE}: a valid, unused code becomes a session cookie and a 303 to {@code /},
   * so the code leaves the address bar and the history; anything else is the 401 page.
   */
  private void login(HttpExchange ex, String code) throws IOException {
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.getResponseHeaders().set("Referrer-Policy", "no-referrer");
    if (code == null) {
      if (auth.authenticate(ex.getRequestHeaders()) != HttpAuth.Via.NONE) {
        ex.getResponseHeaders().set("Location", "/");
        send(ex, 303, "text/plain; charset=utf-8", new byte[0]);
      } else {
        loginPage(ex, "This address needs a one-time code.");
      }
      return;
    }
    java.util.Optional<String> session = auth.redeem(code);
    if (session.isEmpty()) {
      loginPage(ex, "This login link has been used already, has expired, or was not made for this server.");
      return;
    }
    ex.getResponseHeaders().add("Set-Cookie", auth.sessionCookie(session.get()));
    ex.getResponseHeaders().set("Location", "/");
    send(ex, 303, "text/plain; charset=utf-8", new byte[0]);
  }

  private static void defaultProperty(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
