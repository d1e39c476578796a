package dev.supervisor.examples.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.Durations;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Signed, short-lived, single-use approvals. The validator's {@link Signer} signs with an
 * Ed25519 private key that only it reads; the executor's {@link Verifier} holds the public key
 * alone, which verifies but cannot sign, so nothing the executor or its commands can read lets
 * anyone mint an approval. What is signed: the intent's canonical form (tool, path, full argv,
 * a hash of the text), for an exec the absolute path of the binary the policy resolved, a
 * random nonce and the expiry. The verifier accepts each approval once, before it expires, and
 * never one that claims to live longer than {@link #MAX_TTL}. Keys on disk: {@link ApprovalKeys}.
 */
public final class Approvals {
  /** Default lifetime of an approval. */
  public static final Duration TTL = Duration.ofSeconds(30);
  /** The longest lifetime either side accepts: the window in which a restarted executor, which forgot its nonces, could see a replay. */
  public static final Duration MAX_TTL = TTL;
  /** The validator's setting for the lifetime, at most {@link #MAX_TTL}. */
  public static final String TTL_ENV = "AGENTD_APPROVAL_TTL";
  static final String ALGORITHM = "Ed25519";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String FORGED = "approval signature does not match this intent (forged, or the intent was altered)";

  private Approvals() {}

  /**
   * The lifetime {@code AGENTD_APPROVAL_TTL} in {@code env} asks for, else {@link #TTL}.
   *
   * @throws IllegalArgumentException if it is not a duration, not positive, or longer than {@link #MAX_TTL}
   */
  public static Duration ttlFrom(Map<String, String> env) {
    String text = env.get(TTL_ENV);
    if (text == null || text.isBlank()) {
      return TTL;
    }
    Duration ttl;
    try {
      ttl = Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(TTL_ENV + ": " + e.getMessage());
    }
    if (ttl.toMillis() < 1) {
      throw new IllegalArgumentException(TTL_ENV + "=" + text + ": an approval must live a while; use e.g. 10s (at most "
          + Durations.format(MAX_TTL) + "), or unset it for " + Durations.format(TTL));
    }
    if (ttl.compareTo(MAX_TTL) > 0) {
      throw new IllegalArgumentException(TTL_ENV + "=" + text + " is longer than the " + Durations.format(MAX_TTL)
          + " maximum: approvals must be short-lived; use at most " + Durations.format(MAX_TTL) + ", or unset it for "
          + Durations.format(TTL));
    }
    return ttl;
  }

  /**
   * A signer of approvals valid for {@code ttl}.
   *
   * @throws IllegalArgumentException if {@code ttl} is not positive or longer than {@link #MAX_TTL}
   */
  public static Signer signer(PrivateKey key, Clock clock, Duration ttl) {
    if (ttl.toMillis() < 1 || ttl.compareTo(MAX_TTL) > 0) {
      throw new IllegalArgumentException("ttl must be in [1ms, " + Durations.format(MAX_TTL) + "], not " + ttl);
    }
    return new Signer(Objects.requireNonNull(key, "key"), Objects.requireNonNull(clock, "clock"), ttl);
  }

  /** A verifier that remembers the nonces it accepted until they expire. */
  public static Verifier verifier(PublicKey key, Clock clock) {
    return new Verifier(Objects.requireNonNull(key, "key"), Objects.requireNonNull(clock, "clock"));
  }

  /** Issues approvals: the validator's side. Threadsafe. */
  public static final class Signer {
    private final PrivateKey key;
    private final Clock clock;
    private final Duration ttl;

    private Signer(PrivateKey key, Clock clock, Duration ttl) {
      this.key = key;
      this.clock = clock;
      this.ttl = ttl;
    }

    /**
     * An approval of {@code intent}: {@code {"nonce", "expiresAt", "executable"?, "signature"}}.
     *
     * @param executable for an exec, the binary the policy resolved its command to
     */
    public ObjectNode issue(Intent intent, Optional<Path> executable) {
      byte[] n = new byte[16];
      RANDOM.nextBytes(n);
      String nonce = Base64.getUrlEncoder().withoutPadding().encodeToString(n);
      Instant expires = clock.instant().plus(ttl);
      String exe = executable.map(Path::toString).orElse("");
      byte[] sig;
      try {
        Signature s = Signature.getInstance(ALGORITHM);
        s.initSign(key);
        s.update(payload(intent, nonce, expires, exe));
        sig = s.sign();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot sign with " + ALGORITHM + ": " + e.getMessage(), e);
      }
      ObjectNode out = Jsons.MAPPER.createObjectNode().put("nonce", nonce).put("expiresAt", expires.toString());
      executable.ifPresent(p -> out.put("executable", p.toString()));
      return out.put("signature", Base64.getUrlEncoder().withoutPadding().encodeToString(sig));
    }
  }

  /** Redeems approvals: the executor's side. Threadsafe. */
  public static final class Verifier {
    private final PublicKey key;
    private final Clock clock;
    private final Map<String, Instant> usedNonces = new ConcurrentHashMap<>();

    private Verifier(PublicKey key, Clock clock) {
      this.key = key;
      this.clock = clock;
    }

    /**
     * Accepts {@code approval} for {@code intent} once.
     *
     * @return the executable the approval names (signed with the rest), for an exec
     * @throws SecurityException saying why it is refused: forged or altered, expired, too long-lived, replayed, malformed
     */
    public Optional<Path> redeem(Intent intent, JsonNode approval) {
      if (approval == null || !approval.isObject() || !approval.path("nonce").isTextual()
          || !approval.path("expiresAt").isTextual() || !approval.path("signature").isTextual()) {
        throw new SecurityException("missing or malformed approval: ask the validator first");
      }
      String nonce = approval.get("nonce").asText();
      Instant expires;
      try {
        expires = Instant.parse(approval.get("expiresAt").asText());
      } catch (RuntimeException e) {
        throw new SecurityException("malformed approval expiry");
      }
      String exe = approval.path("executable").asText("");
      boolean valid;
      try {
        byte[] sig = Base64.getUrlDecoder().decode(approval.get("signature").asText());
        Signature s = Signature.getInstance(ALGORITHM);
        s.initVerify(key);
        s.update(payload(intent, nonce, expires, exe));
        valid = s.verify(sig);
      } catch (IllegalArgumentException | java.security.SignatureException e) {
        valid = false; // not base64, or not a signature's length
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot verify with " + ALGORITHM + ": " + e.getMessage(), e);
      }
      if (!valid) {
        throw new SecurityException(FORGED);
      }
      Instant now = clock.instant();
      if (now.isAfter(expires)) {
        throw new SecurityException("approval expired at " + expires);
      }
      if (expires.isAfter(now.plus(MAX_TTL))) {
        throw new SecurityException("approval expires at " + expires + ", more than " + Durations.format(MAX_TTL)
            + " from now: refused (an approval lives at most " + Durations.format(MAX_TTL) + ")");
      }
      usedNonces.values().removeIf(t -> t.isBefore(now));
      if (usedNonces.putIfAbsent(nonce, expires) != null) {
        throw new SecurityException("approval already used (replay)");
      }
      return exe.isEmpty() ? Optional.empty() : Optional.of(Path.of(exe));
    }
  }

  /** What is signed: each field length-prefixed, so no two different approvals share a payload. */
  static byte[] payload(Intent intent, String nonce, Instant expires, String executable) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] field : new byte[][] {"agentd-approval/v2".getBytes(StandardCharsets.UTF_8), intent.canonical(),
        nonce.getBytes(StandardCharsets.UTF_8), expires.toString().getBytes(StandardCharsets.UTF_8),
        executable.getBytes(StandardCharsets.UTF_8)}) {
      out.writeBytes((field.length + ":").getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(field);
    }
    return out.toByteArray();
  }
}
