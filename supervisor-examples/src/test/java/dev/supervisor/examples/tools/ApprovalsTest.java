package dev.supervisor.examples.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Ed25519 approvals: the validator signs, the executor verifies with the public key alone; once, in time, for that intent. */
class ApprovalsTest {
  private static final String FORGED = "approval signature does not match this intent (forged, or the intent was altered)";
  private static final Path DATE = Path.of("/usr/bin/date");
  private final ManualClock clock = ManualClock.start();
  private KeyPair keys;
  private Approvals.Signer validator;
  private Approvals.Verifier executor;
  private final Intent intent = Intent.exec(List.of("date", "-u", "+%s"));

  @BeforeEach
  void setUp() throws Exception {
    keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    validator = Approvals.signer(keys.getPrivate(), clock, Approvals.TTL);
    executor = Approvals.verifier(keys.getPublic(), clock);
  }

  @Test
  void anApprovalVerifiesWithThePublicKeyAndNamesTheExecutable() {
    ObjectNode a = validator.issue(intent, Optional.of(DATE));
    assertThat(a.fieldNames()).toIterable().containsExactly("nonce", "expiresAt", "executable", "signature");
    assertThat(a.path("expiresAt").asText()).isEqualTo("2026-01-01T00:00:30Z");
    assertThat(Base64.getUrlDecoder().decode(a.path("signature").asText())).hasSize(64);
    assertThat(executor.redeem(intent, a)).contains(DATE);
    Intent read = Intent.read(Path.of("/w/a.txt"));
    assertThat(executor.redeem(read, validator.issue(read, Optional.empty()))).isEmpty();
  }

  @Test
  void aTamperedIntentArgvPathOrExecutableIsRejected() {
    ObjectNode a = validator.issue(intent, Optional.of(DATE));
    for (Intent other : List.of(Intent.exec(List.of("date", "-u", "+%s", "-f", "/etc/shadow")), Intent.exec(List.of("date", "-u+%s")),
        Intent.exec(List.of("date", "-u")), Intent.exec(List.of("ls", "-u", "+%s")))) {
      assertThatThrownBy(() -> executor.redeem(other, a)).as("%s", other).isInstanceOf(SecurityException.class).hasMessage(FORGED);
    }
    Intent read = Intent.read(Path.of("/w/a.txt"));
    ObjectNode r = validator.issue(read, Optional.empty());
    assertThatThrownBy(() -> executor.redeem(Intent.read(Path.of("/w/b.txt")), r)).hasMessage(FORGED);
    assertThatThrownBy(() -> executor.redeem(Intent.write(Path.of("/w/a.txt"), "x"), r)).hasMessage(FORGED);
    Intent write = Intent.write(Path.of("/w/a.txt"), "one");
    ObjectNode w = validator.issue(write, Optional.empty());
    assertThatThrownBy(() -> executor.redeem(Intent.write(Path.of("/w/a.txt"), "two"), w)).hasMessage(FORGED);

    ObjectNode otherBinary = a.deepCopy().put("executable", "/tmp/evil/date");
    assertThatThrownBy(() -> executor.redeem(intent, otherBinary)).hasMessage(FORGED);
    ObjectNode noBinary = a.deepCopy();
    noBinary.remove("executable");
    assertThatThrownBy(() -> executor.redeem(intent, noBinary)).hasMessage(FORGED);
    ObjectNode later = a.deepCopy().put("expiresAt", "2026-01-01T00:00:31Z");
    assertThatThrownBy(() -> executor.redeem(intent, later)).hasMessage(FORGED);
    ObjectNode otherNonce = a.deepCopy().put("nonce", "AAAAAAAAAAAAAAAAAAAAAA");
    assertThatThrownBy(() -> executor.redeem(intent, otherNonce)).hasMessage(FORGED);
    assertThat(executor.redeem(intent, a)).contains(DATE); // none of that spent the real one
  }

  @Test
  void aReplayIsRejected() {
    ObjectNode a = validator.issue(intent, Optional.of(DATE));
    executor.redeem(intent, a);
    clock.advance(Duration.ofSeconds(29));
    assertThatThrownBy(() -> executor.redeem(intent, a)).isInstanceOf(SecurityException.class).hasMessage("approval already used (replay)");
  }

  @Test
  void anExpiredApprovalIsRejected() {
    ObjectNode a = validator.issue(intent, Optional.of(DATE));
    clock.advance(Duration.ofSeconds(30).plusMillis(1));
    assertThatThrownBy(() -> executor.redeem(intent, a)).isInstanceOf(SecurityException.class)
        .hasMessage("approval expired at 2026-01-01T00:00:30Z");
    ObjectNode edge = validator.issue(intent, Optional.of(DATE));
    clock.advance(Duration.ofSeconds(30));
    assertThat(executor.redeem(intent, edge)).contains(DATE); // valid up to and including its expiry
  }

  @Test
  void anApprovalThatClaimsToLiveLongerThanTheMaximumIsRejected() {
    ManualClock ahead = ManualClock.at(clock.instant().plus(Duration.ofMinutes(10)));
    ObjectNode a = Approvals.signer(keys.getPrivate(), ahead, Approvals.TTL).issue(intent, Optional.of(DATE));
    assertThatThrownBy(() -> executor.redeem(intent, a)).isInstanceOf(SecurityException.class)
        .hasMessage("approval expires at 2026-01-01T00:10:30Z, more than 30s from now: refused (an approval lives at most 30s)");
  }

  @Test
  void aSignatureMadeWithAnotherKeyIsRejected() throws Exception {
    KeyPair other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    ObjectNode a = Approvals.signer(other.getPrivate(), clock, Approvals.TTL).issue(intent, Optional.of(DATE));
    assertThatThrownBy(() -> executor.redeem(intent, a)).isInstanceOf(SecurityException.class).hasMessage(FORGED);
  }

  /** What the executor (or a command it runs) holds is the public key: nothing made from it passes. */
  @Test
  void aForgeryMadeWithOnlyThePublicKeyIsRejected() throws Exception {
    ObjectNode model = validator.issue(intent, Optional.of(DATE));
    byte[] pub = keys.getPublic().getEncoded();
    byte[] payload = Approvals.payload(intent, "n0nce", clock.instant().plusSeconds(30), DATE.toString());
    // the old scheme, keyed with what the executor can read
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(pub, "HmacSHA256"));
    ObjectNode hmac = model.deepCopy().put("nonce", "n0nce")
        .put("signature", Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(payload)));
    assertThatThrownBy(() -> executor.redeem(intent, hmac)).hasMessage(FORGED);
    // a 64-byte "signature" built from the public key bytes
    byte[] fake = new byte[64];
    System.arraycopy(pub, pub.length - 32, fake, 0, 32);
    ObjectNode bytes = model.deepCopy().put("nonce", "n0nce").put("signature", Base64.getUrlEncoder().withoutPadding().encodeToString(fake));
    assertThatThrownBy(() -> executor.redeem(intent, bytes)).hasMessage(FORGED);
    // a real Ed25519 signature by a key the forger made, over the right payload
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate());
    s.update(payload);
    ObjectNode own = model.deepCopy().put("nonce", "n0nce").put("signature", Base64.getUrlEncoder().withoutPadding().encodeToString(s.sign()));
    assertThatThrownBy(() -> executor.redeem(intent, own)).hasMessage(FORGED);
  }

  @Test
  void malformedApprovalsAreRejected() {
    assertThatThrownBy(() -> executor.redeem(intent, null)).hasMessage("missing or malformed approval: ask the validator first");
    assertThatThrownBy(() -> executor.redeem(intent, Jsons.MAPPER.createObjectNode().put("nonce", "x")))
        .hasMessage("missing or malformed approval: ask the validator first");
    ObjectNode a = validator.issue(intent, Optional.of(DATE));
    assertThatThrownBy(() -> executor.redeem(intent, a.deepCopy().put("expiresAt", "soon"))).hasMessage("malformed approval expiry");
    assertThatThrownBy(() -> executor.redeem(intent, a.deepCopy().put("signature", "not base64!"))).hasMessage(FORGED);
    assertThatThrownBy(() -> executor.redeem(intent, a.deepCopy().put("signature", "AAAA"))).hasMessage(FORGED);
  }

  @Test
  void theLifetimeIsBoundedByTheDefault() {
    assertThat(Approvals.ttlFrom(Map.of())).isEqualTo(Duration.ofSeconds(30));
    assertThat(Approvals.ttlFrom(Map.of("AGENTD_APPROVAL_TTL", "5s"))).isEqualTo(Duration.ofSeconds(5));
    assertThat(Approvals.ttlFrom(Map.of("AGENTD_APPROVAL_TTL", "30s"))).isEqualTo(Duration.ofSeconds(30));
    assertThatThrownBy(() -> Approvals.ttlFrom(Map.of("AGENTD_APPROVAL_TTL", "31s"))).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("AGENTD_APPROVAL_TTL=31s is longer than the 30s maximum: approvals must be short-lived; use at most 30s,"
            + " or unset it for 30s");
    assertThatThrownBy(() -> Approvals.ttlFrom(Map.of("AGENTD_APPROVAL_TTL", "0s")))
        .hasMessage("AGENTD_APPROVAL_TTL=0s: an approval must live a while; use e.g. 10s (at most 30s), or unset it for 30s");
    assertThatThrownBy(() -> Approvals.ttlFrom(Map.of("AGENTD_APPROVAL_TTL", "1y")))
        .hasMessage("AGENTD_APPROVAL_TTL: bad duration '1y' (use e.g. 250ms, 1s, 1.5s, 5m, 2h, 1d)");
    assertThatThrownBy(() -> Approvals.signer(keys.getPrivate(), clock, Duration.ofMinutes(5)))
        .hasMessage("ttl must be in [1ms, 30s], not PT5M");
  }

  @Test
  void thePayloadSeparatesItsFields() {
    Intent i = Intent.exec(List.of("echo", "a"));
    assertThat(Approvals.payload(i, "ab", clock.instant(), "/c")).isNotEqualTo(Approvals.payload(i, "a", clock.instant(), "b/c"));
    assertThat(new String(Approvals.payload(i, "n", clock.instant(), ""), StandardCharsets.UTF_8)).startsWith("18:agentd-approval/v2");
  }
}
