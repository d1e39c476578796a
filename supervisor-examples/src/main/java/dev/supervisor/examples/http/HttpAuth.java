package dev.supervisor.examples.http;

import com.sun.net.httpserver.Headers;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who may talk to the HTTP API, and through which name: the {@code Host} check on loopback
 * (against DNS rebinding), the operator token, the one-time login codes and the session cookies
 * they are traded for, and the {@code Origin} check on writes made with a cookie (against CSRF
 * from another page on the same host). Threadsafe.
 */
final class HttpAuth {
  /** How long a session cookie is honoured (sessions also end when the server stops: they live in memory). */
  static final Duration SESSION_LIFETIME = Duration.ofHours(12);
  /** Sessions kept at most; past that the one closest to expiry is dropped. */
  static final int MAX_SESSIONS = 128;

  /** How a request proved who it is. */
  enum Via { NONE, TOKEN, SESSION }

  private static final SecureRandom RANDOM = new SecureRandom();

  private final String token;
  private final byte[] tokenBytes;
  private final boolean loopback;
  private final int port;
  private final Set<String> hostNames = new TreeSet<>();
  private final String cookieName;
  private final Clock clock;
  private final Object lock = new Object();
  /** SHA-256 of the session id (hex) -> expiry; guarded by {@link #lock}. */
  private final Map<String, Instant> sessions = new HashMap<>();
  /** Nonces of the login codes already traded -> their expiry; guarded by {@link #lock}. */
  private final Map<String, Instant> usedCodes = new HashMap<>();

  HttpAuth(String token, InetSocketAddress bound, Clock clock) {
    this.token = token;
    this.tokenBytes = token.getBytes(StandardCharsets.UTF_8);
    InetAddress a = bound.getAddress();
    this.loopback = a.isLoopbackAddress();
    this.port = bound.getPort();
    this.clock = clock;
    this.cookieName = "agentd-session-" + port; // cookies ignore ports: one name per server on the same host
    hostNames.addAll(List.of("localhost", "127.0.0.1", "[::1]"));
    hostNames.add(a instanceof Inet6Address ? "[" + a.getHostAddress().replaceFirst("%.*$", "") + "]" : a.getHostAddress());
  }

  boolean loopback() {
    return loopback;
  }

  String token() {
    return token;
  }

  // ------------------------------------------------------------------ Host and Origin

  /**
   * Why the request's {@code Host} does not name this server, or null when it does. Only on a
   * loopback bind: there a page of any site can reach us through a name it points at 127.0.0.1.
   */
  String misdirected(Headers h) {
    if (!loopback) {
      return null;
    }
    List<String> values = h.get("Host");
    String allowed = "on loopback agentd answers only to " + String.join(", ", hostNames) + " (with port " + port
        + " or none), a guard against DNS rebinding";
    if (values == null || values.isEmpty() || values.get(0).isBlank()) {
      return "the request has no Host header; " + allowed;
    }
    if (values.size() > 1) {
      return "the request has " + values.size() + " Host headers; " + allowed;
    }
    String v = values.get(0).trim().toLowerCase(Locale.ROOT);
    String name;
    String rest;
    int close = v.indexOf(']');
    if (v.startsWith("[") && close > 0) {
      name = v.substring(0, close + 1);
      rest = v.substring(close + 1);
    } else {
      int colon = v.indexOf(':');
      name = colon < 0 ? v : v.substring(0, colon);
      rest = colon < 0 ? "" : v.substring(colon);
    }
    if (hostNames.contains(name) && (rest.isEmpty() || rest.equals(":" + port))) {
      return null;
    }
    return "Host '" + printable(values.get(0)) + "' does not name this server; " + allowed;
  }

  /**
   * Why a write authenticated by a session cookie must be refused as cross-origin, or null.
   * SameSite=Strict keeps the cookie off requests from other sites, but every port of 127.0.0.1
   * is the same site: a page another local user serves there must not post with our cookie.
   */
  static String crossOrigin(Headers h) {
    String origin = h.getFirst("Origin");
    if (origin == null) {
      return null; // not a cross-origin request from a browser that sends Origin; SameSite covers the rest
    }
    String host = h.getFirst("Host");
    if (host != null && origin.trim().equalsIgnoreCase("http://" + host.trim())) {
      return null;
    }
    return "cross-origin request refused: Origin '" + printable(origin) + "' is not this server (http://"
        + (host == null ? "?" : printable(host)) + ")";
  }

  private static String printable(String s) {
    String t = s.replaceAll("[^\\x20-\\x7e]", "?");
    return t.length() > 100 ? t.substring(0, 100) + "..." : t;
  }

  // ------------------------------------------------------------------ token and sessions

  Via authenticate(Headers h) {
    String a = h.getFirst("Authorization");
    if (a != null && a.regionMatches(true, 0, "Bearer ", 0, 7)
        && MessageDigest.isEqual(tokenBytes, a.substring(7).trim().getBytes(StandardCharsets.UTF_8))) {
      return Via.TOKEN;
    }
    String id = cookie(h);
    if (id != null) {
      String key = sha256(id);
      Instant now = clock.instant();
      synchronized (lock) {
        Instant expiry = sessions.get(key);
        if (expiry != null && now.isBefore(expiry)) {
          return Via.SESSION;
        }
        if (expiry != null) {
          sessions.remove(key);
        }
      }
    }
    return Via.NONE;
  }

  /** A new session for a valid, unused login code (which is then used up); empty otherwise. */
  Optional<String> redeem(String code) {
    Instant now = clock.instant();
    Optional<LoginCodes.Valid> valid = LoginCodes.check(token, code, now);
    if (valid.isEmpty()) {
      return Optional.empty();
    }
    byte[] raw = new byte[32];
    RANDOM.nextBytes(raw);
    String id = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    synchronized (lock) {
      usedCodes.values().removeIf(expiry -> !now.isBefore(expiry));
      if (usedCodes.putIfAbsent(valid.get().nonce(), valid.get().expiresAt()) != null) {
        return Optional.empty();
      }
      sessions.values().removeIf(expiry -> !now.isBefore(expiry));
      while (sessions.size() >= MAX_SESSIONS) {
        sessions.entrySet().stream().min(Map.Entry.comparingByValue(Comparator.naturalOrder()))
            .ifPresent(e -> sessions.remove(e.getKey()));
      }
      sessions.put(sha256(id), now.plus(SESSION_LIFETIME));
    }
    return Optional.of(id);
  }

  /** The {@code Set-Cookie} value for session {@code id}: not readable by scripts, never sent by another site. */
  String sessionCookie(String id) {
    return cookieName + "=" + id + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + SESSION_LIFETIME.toSeconds();
  }

  private String cookie(Headers h) {
    List<String> headers = h.get("Cookie");
    if (headers == null) {
      return null;
    }
    for (String header : headers) {
      for (String pair : header.split(";")) {
        String p = pair.trim();
        if (p.startsWith(cookieName + "=")) {
          return p.substring(cookieName.length() + 1);
        }
      }
    }
    return null;
  }

  /** Sessions are kept by hash, so the table holds nothing a heap dump could replay. */
  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
