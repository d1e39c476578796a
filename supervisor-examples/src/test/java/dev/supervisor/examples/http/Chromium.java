package dev.supervisor.examples.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.examples.tools.Jsons;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.TestProcesses;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's headless Chromium driven over the Chrome DevTools protocol with the JDK's own
 * WebSocket client: no driver binary, no extra dependency.
 */
final class Chromium implements AutoCloseable {
  static final Path BINARY = Path.of("/usr/bin/chromium");
  private static final Pattern LISTENING = Pattern.compile("DevTools listening on ws://127\\.0\\.0\\.1:(\\d+)/");

  private final Process process;
  private final int port;
  private final HttpClient http = HttpClient.newHttpClient();

  private Chromium(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static Chromium launch(Path profile) throws Exception {
    ProcessBuilder pb = TestProcesses.builder(BINARY.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--remote-allow-origins=*", "--user-data-dir=" + profile, "--remote-debugging-port=0",
        "--window-size=1200,500", "about:blank").redirectErrorStream(true);
    pb.environment().put(ProcessLeakGuard.MARK_VAR, ProcessLeakGuard.mark());
    Process p = pb.start();
    CompletableFuture<Integer> port = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            port.complete(Integer.parseInt(m.group(1)));
          }
        }
      } catch (java.io.IOException ignored) {
        // chromium went away
      }
      port.completeExceptionally(new IllegalStateException("chromium exited before it listened"));
    }, "chromium-output");
    reader.setDaemon(true);
    reader.start();
    try {
      return new Chromium(p, port.get(30, TimeUnit.SECONDS));
    } catch (Exception e) {
      kill(p);
      throw e;
    }
  }

  /** Opens {@code url} in a new tab. */
  Page open(String url) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/new?"
        + URLEncoder.encode(url, StandardCharsets.UTF_8))).PUT(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    JsonNode target = Jsons.MAPPER.readTree(r.body());
    return new Page(http, URI.create(target.path("webSocketDebuggerUrl").asText()));
  }

  @Override
  public void close() {
    kill(process);
  }

  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    p.descendants().forEach(ProcessHandle::destroyForcibly);
  }

  /** One tab, spoken to over its WebSocket. */
  static final class Page implements WebSocket.Listener {
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final StringBuilder frame = new StringBuilder();
    private final WebSocket ws;

    Page(HttpClient http, URI uri) throws Exception {
      this.ws = http.newWebSocketBuilder().buildAsync(uri, this).get(10, TimeUnit.SECONDS);
    }

    JsonNode call(String method, ObjectNode params) throws Exception {
      int id = ids.incrementAndGet();
      CompletableFuture<JsonNode> f = new CompletableFuture<>();
      pending.put(id, f);
      ObjectNode msg = Jsons.MAPPER.createObjectNode().put("id", id).put("method", method);
      msg.set("params", params == null ? Jsons.MAPPER.createObjectNode() : params);
      ws.sendText(msg.toString(), true).get(10, TimeUnit.SECONDS);
      JsonNode reply = f.get(20, TimeUnit.SECONDS);
      if (reply.has("error")) {
        throw new IllegalStateException(method + ": " + reply.get("error"));
      }
      return reply.path("result");
    }

    /** The value of a JavaScript expression in the page (promises awaited). */
    JsonNode eval(String expression) throws Exception {
      JsonNode r = call("Runtime.evaluate", Jsons.MAPPER.createObjectNode().put("expression", expression)
          .put("returnByValue", true).put("awaitPromise", true));
      if (r.has("exceptionDetails")) {
        throw new IllegalStateException("page threw: " + r.get("exceptionDetails"));
      }
      return r.path("result").path("value");
    }

    void screenshot(Path file) throws Exception {
      JsonNode r = call("Page.captureScreenshot", Jsons.MAPPER.createObjectNode().put("format", "png"));
      Files.createDirectories(file.getParent());
      Files.write(file, Base64.getDecoder().decode(r.path("data").asText()));
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      frame.append(data);
      if (last) {
        try {
          JsonNode n = Jsons.MAPPER.readTree(frame.toString());
          if (n.has("id")) {
            CompletableFuture<JsonNode> f = pending.remove(n.get("id").asInt());
            if (f != null) {
              f.complete(n);
            }
          }
        } catch (java.io.IOException ignored) {
          // not ours to understand
        }
        frame.setLength(0);
      }
      webSocket.request(1);
      return null;
    }
  }
}
