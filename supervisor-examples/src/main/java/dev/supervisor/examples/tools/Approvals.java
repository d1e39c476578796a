package dev.supervisor.examples.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed, short-lived, single-use approvals: HMAC-SHA256 with the key in {@code <home>/agentd.key}
 * (0600, created by the supervisor, given to validator and executor only) over the intent's
 * canonical form, a random nonce and the expiry. The validator {@link #issue}s; the executor
 * {@link #redeem}s, which checks the signature, the expiry and that the nonce was not used.
 * Threadsafe.
 */
public final class Approvals {
  /** Default lifetime of an approval. */
  public static final Duration TTL = Duration.ofSeconds(30);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] key;
  private final Clock clock;
  private final Duration ttl;
  private final Map<String, Instant> usedNonces = new ConcurrentHashMap<>();

  public Approvals(byte[] key, Clock clock) {
    this(key, clock, TTL);
  }

  /** Approvals that expire {@code ttl} after they are issued. */
  public Approvals(byte[] key, Clock clock, Duration ttl) {
    if (key.length < 32) {
      throw new IllegalArgumentException("the approval key must be at least 32 bytes");
    }
    this.key = key.clone();
    this.clock = clock;
    this.ttl = ttl;
  }

  /** Loads the key file, refusing one that others can read. @throws IOException naming the problem and the fix */
  public static byte[] loadKey(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new IOException("approval key " + file + " does not exist: the supervisor creates it; start the daemon first");
    }
    String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    if (!mode.equals("rw-------") && !mode.equals("r--------")) {
      throw new IOException("approval key " + file + " has mode " + mode + ": it must be rw------- (chmod 600)");
    }
    return Files.readAllBytes(file);
  }

  /** Creates {@code file} with 32 random bytes, mode 0600, unless it exists (then only fixes its mode). */
  public static void createKeyIfMissing(Path file) throws IOException {
    if (Files.exists(file)) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      return;
    }
    byte[] k = new byte[32];
    RANDOM.nextBytes(k);
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(tmp, k, StandardOpenOption.WRITE);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** An approval of {@code intent} valid for {@link #TTL}. */
  public ObjectNode issue(Intent intent) {
    byte[] n = new byte[16];
    RANDOM.nextBytes(n);
    String nonce = Base64.getUrlEncoder().withoutPadding().encodeToString(n);
    Instant expires = clock.instant().plus(ttl);
    return Jsons.MAPPER.createObjectNode().put("nonce", nonce).put("expiresAt", expires.toString())
        .put("signature", sign(intent, nonce, expires));
  }

  /**
   * Accepts {@code approval} for {@code intent} once.
   *
   * @throws SecurityException saying why it is refused: forged or altered, expired, replayed, malformed
   */
  public void redeem(Intent intent, JsonNode approval) {
    if (approval == null || !approval.isObject() || !approval.hasNonNull("nonce") || !approval.hasNonNull("expiresAt")
        || !approval.hasNonNull("signature")) {
      throw new SecurityException("missing or malformed approval: ask the validator first");
    }
    String nonce = approval.get("nonce").asText();
    Instant expires;
    try {
      expires = Instant.parse(approval.get("expiresAt").asText());
    } catch (RuntimeException e) {
      throw new SecurityException("malformed approval expiry");
    }
    byte[] expected = sign(intent, nonce, expires).getBytes(StandardCharsets.US_ASCII);
    byte[] given = approval.get("signature").asText().getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(expected, given)) {
      throw new SecurityException("approval signature does not match this intent (forged, or the intent was altered)");
    }
    Instant now = clock.instant();
    if (now.isAfter(expires)) {
      throw new SecurityException("approval expired at " + expires);
    }
    usedNonces.values().removeIf(t -> t.isBefore(now));
    if (usedNonces.putIfAbsent(nonce, expires) != null) {
      throw new SecurityException("approval already used (replay)");
    }
  }

  private String sign(Intent intent, String nonce, Instant expires) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update(intent.canonical());
      mac.update(("\n" + nonce + "\n" + expires).getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
