package dev.supervisor.examples.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.supervisor.examples.tools.Jsons;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** What the HTTP API's handlers send: JSON bodies and errors, the login page, and the checks every request goes through. */
final class HttpExchanges {
  private HttpExchanges() {}

  /** The 401 page a browser sees instead of the dashboard: how to get a login URL. No script, no secret. */
  static void loginPage(HttpExchange ex, String reason) throws IOException {
    String html = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>agentd: log in</title>\n"
        + "<style>body{font:15px system-ui,sans-serif;margin:3em auto;max-width:42em;color:#1f2430}"
        + "code{background:#eef1f5;padding:.1em .3em}</style></head>\n<body><h1>agentd</h1>\n"
        + "<p id=\"reason\">" + reason + "</p>\n"
        + "<p>Open the one-time login URL that <code>agentd daemon serve</code> printed, or get a new one with"
        + " <code>agentd daemon login-url</code> (as the user who owns the agentd home). A login URL works once, within "
        + LoginCodes.LIFETIME.toMinutes() + " minutes; the session it starts lasts " + HttpAuth.SESSION_LIFETIME.toHours()
        + " hours, or until agentd stops.</p>\n"
        + "<p>Logged in a moment ago through a link on another page? <a href=\"/\">Open the dashboard</a>.</p>\n"
        + "</body></html>\n";
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    noFraming(ex);
    send(ex, 401, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8));
  }

  /** Another page on this host (another port is the same site, so it gets our cookie) must not frame ours. */
  static void noFraming(HttpExchange ex) {
    ex.getResponseHeaders().set("X-Frame-Options", "DENY");
    ex.getResponseHeaders().set("Content-Security-Policy", "frame-ancestors 'none'");
  }

  static void unauthorized(HttpExchange ex) throws IOException {
    ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
    error(ex, 401, "UNAUTHORIZED", "this needs the operator token: send 'Authorization: Bearer <token>' with the token from"
        + " <home>/http.token (a browser logs in through the one-time URL of 'agentd daemon login-url')");
  }

  static final class MethodNotAllowed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String allow;

    MethodNotAllowed(String method, String allow) {
      super(method + " is not allowed here; use " + allow);
      this.allow = allow;
    }
  }

  static void only(HttpExchange ex, String method, String allowed) {
    if (!method.equals(allowed) && !(allowed.equals("GET") && method.equals("HEAD"))) {
      throw new MethodNotAllowed(method, allowed);
    }
  }

  static long contentLength(HttpExchange ex) {
    String v = ex.getRequestHeaders().getFirst("Content-Length");
    try {
      return v == null ? 0 : Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** Reads (and drops) at most the limit; the endpoints take no body. */
  static void drain(InputStream in) throws IOException {
    in.readNBytes(HttpApi.MAX_BODY);
  }

  static Map<String, String> query(URI uri) {
    Map<String, String> out = new HashMap<>();
    String q = uri.getRawQuery();
    if (q != null) {
      for (String kv : q.split("&")) {
        int eq = kv.indexOf('=');
        if (eq > 0) {
          out.put(java.net.URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8),
              java.net.URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
    }
    return out;
  }

  static void json(HttpExchange ex, int code, ObjectNode body) throws IOException {
    send(ex, code, "application/json", Jsons.MAPPER.writeValueAsBytes(body));
  }

  static void error(HttpExchange ex, int code, String errorCode, String message) throws IOException {
    ObjectNode n = Jsons.MAPPER.createObjectNode();
    n.putObject("error").put("code", errorCode).put("message", message);
    json(ex, code, n);
  }

  static void tryError(HttpExchange ex, int code, String errorCode, String message, String allow) {
    try {
      if (allow != null) {
        ex.getResponseHeaders().set("Allow", allow);
      }
      error(ex, code, errorCode, message);
    } catch (IOException | RuntimeException ignored) {
      // the response had begun, or the client left
    }
  }

  static void send(HttpExchange ex, int code, String type, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(code, head ? -1 : body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      ex.getResponseBody().write(body);
    }
  }
}
