package dev.supervisor.examples.http;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One-time login codes for the dashboard, as in {@code http://127.0.0.1:8377/login?once=CODE}.
 *
 * <p>A code is {@code expiry (8 bytes) | nonce (16 random bytes) | HMAC-SHA256(token, label |
 * expiry | nonce), first 16 bytes}, in unpadded base64url. Whoever can read the token file can
 * mint one without asking the server, so {@code agentd daemon login-url} sends nothing over the
 * network (it cannot hand the token to whatever listens on a stale port). The server checks the
 * MAC and the expiry, and remembers the nonce of every code it accepted until that code expires:
 * a code works once, for {@link #LIFETIME}. Stateless and threadsafe.
 */
public final class LoginCodes {
  /** How long a code can be used after it was minted. */
  public static final Duration LIFETIME = Duration.ofMinutes(10);

  private static final byte[] LABEL = "agentd-login-code\0".getBytes(StandardCharsets.US_ASCII);
  private static final int NONCE = 16;
  private static final int MAC = 16;
  private static final int LENGTH = Long.BYTES + NONCE + MAC;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A code that passed its checks: its nonce (the key to remember it by) and when it expires. */
  record Valid(String nonce, Instant expiresAt) {}

  private LoginCodes() {}

  /** A fresh code, valid from {@code now} for {@link #LIFETIME}. */
  public static String mint(String token, Instant now) {
    byte[] nonce = new byte[NONCE];
    RANDOM.nextBytes(nonce);
    ByteBuffer b = ByteBuffer.allocate(LENGTH);
    long expiry = now.plus(LIFETIME).getEpochSecond();
    b.putLong(expiry).put(nonce).put(mac(token, expiry, nonce));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
  }

  /** The login URL of the server at {@code hostPort} (as in {@code <home>/run/http.addr}) with a fresh code. */
  public static String url(String hostPort, String token, Instant now) {
    return "http://" + hostPort + "/login?once=" + mint(token, now);
  }

  /** {@code host:port} for a URL to {@code address}: a wildcard address as 127.0.0.1, IPv6 in brackets. */
  public static String hostPort(InetSocketAddress address) {
    var a = address.getAddress();
    String host = a == null || a.isAnyLocalAddress() ? "127.0.0.1"
        : a instanceof Inet6Address ? "[" + a.getHostAddress().replaceFirst("%.*$", "") + "]" : a.getHostAddress();
    return host + ":" + address.getPort();
  }

  /** The code's nonce and expiry if it was minted with {@code token} and has not expired; empty otherwise. */
  static Optional<Valid> check(String token, String code, Instant now) {
    if (code == null || code.length() > 2 * LENGTH) {
      return Optional.empty();
    }
    byte[] raw;
    try {
      raw = Base64.getUrlDecoder().decode(code);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (raw.length != LENGTH) {
      return Optional.empty();
    }
    ByteBuffer b = ByteBuffer.wrap(raw);
    long expiry = b.getLong();
    byte[] nonce = new byte[NONCE];
    b.get(nonce);
    byte[] mac = Arrays.copyOfRange(raw, Long.BYTES + NONCE, LENGTH);
    if (!MessageDigest.isEqual(mac, mac(token, expiry, nonce))) {
      return Optional.empty();
    }
    Instant expiresAt = Instant.ofEpochSecond(expiry);
    // not expired, and not minted for longer than a code may live
    if (!now.isBefore(expiresAt) || expiresAt.isAfter(now.plus(LIFETIME).plusSeconds(1))) {
      return Optional.empty();
    }
    return Optional.of(new Valid(Base64.getUrlEncoder().withoutPadding().encodeToString(nonce), expiresAt));
  }

  private static byte[] mac(String token, long expiry, byte[] nonce) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(token.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      m.update(LABEL);
      m.update(ByteBuffer.allocate(Long.BYTES).putLong(expiry).array());
      m.update(nonce);
      return Arrays.copyOf(m.doFinal(), MAC);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
