package dev.supervisor.examples.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.supervisor.examples.launcher.AgentdHome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key pair on disk: two directories, private modes, a pair that matches, the old shared key gone. */
class ApprovalKeysTest {
  @TempDir Path dir;
  private AgentdHome home;
  private final List<String> log = new ArrayList<>();

  @BeforeEach
  void setUp() {
    home = new AgentdHome(dir.resolve("home"));
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void prepareMakesAPrivateKeyForTheValidatorAndAPublicOneForTheExecutorInSeparateDirectories() throws Exception {
    ApprovalKeys.prepare(home, log::add);
    Path priv = dir.resolve("home/keys/validator/approval.key");
    Path pub = dir.resolve("home/keys/public/approval.pub");
    assertThat(home.signingKey()).isEqualTo(priv);
    assertThat(home.verifyKey()).isEqualTo(pub);
    assertThat(mode(priv)).isEqualTo("rw-------");
    assertThat(mode(pub)).isEqualTo("rw-------");
    for (Path d : List.of(home.keys(), priv.getParent(), pub.getParent())) {
      assertThat(mode(d)).as("%s", d).isEqualTo("rwx------");
    }
    try (var files = Files.list(pub.getParent())) {
      assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("approval.pub"); // nothing secret beside it
    }
    assertThat(log).containsExactly("created the approval keys " + priv + " (validator only) and " + pub + " (executor)");

    var signer = Approvals.signer(ApprovalKeys.loadPrivate(priv), Clock.systemUTC(), Approvals.TTL);
    var verifier = Approvals.verifier(ApprovalKeys.loadPublic(pub), Clock.systemUTC());
    Intent i = Intent.exec(List.of("true"));
    assertThat(verifier.redeem(i, signer.issue(i, Optional.of(Path.of("/usr/bin/true"))))).contains(Path.of("/usr/bin/true"));

    byte[] before = Files.readAllBytes(priv);
    ApprovalKeys.prepare(home, log::add);
    assertThat(Files.readAllBytes(priv)).isEqualTo(before);
    assertThat(log).hasSize(1);
  }

  @Test
  void theOldSharedKeyIsDeletedWithOneLogLine() throws Exception {
    Files.createDirectories(home.root());
    Files.write(home.legacyKeyFile(), new byte[32]);
    ApprovalKeys.prepare(home, log::add);
    assertThat(home.legacyKeyFile()).doesNotExist();
    assertThat(log).hasSize(2).last().isEqualTo("deleted " + home.legacyKeyFile() + ", the shared key of earlier versions: approvals"
        + " are now signed with the Ed25519 key in " + home.signingKey() + " and verified with " + home.verifyKey());
    ApprovalKeys.prepare(home, log::add);
    assertThat(log).hasSize(2);
  }

  @Test
  void aMismatchedHalfMissingOrExposedPairIsReplaced() throws Exception {
    ApprovalKeys.prepare(home, log::add);
    Files.write(home.verifyKey(), KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic().getEncoded());
    ApprovalKeys.prepare(home, log::add);
    assertThat(log.get(1)).startsWith("replaced (the old ones do not form a pair) the approval keys ");
    Intent i = Intent.exec(List.of("true"));
    var verifier = Approvals.verifier(ApprovalKeys.loadPublic(home.verifyKey()), Clock.systemUTC());
    verifier.redeem(i, Approvals.signer(ApprovalKeys.loadPrivate(home.signingKey()), Clock.systemUTC(), Approvals.TTL).issue(i, Optional.empty()));

    Files.delete(home.verifyKey());
    ApprovalKeys.prepare(home, log::add);
    assertThat(log.get(2)).startsWith("replaced (the old ones are not usable (approval verify key " + home.verifyKey() + " does not exist");

    byte[] exposed = Files.readAllBytes(home.signingKey());
    Files.setPosixFilePermissions(home.signingKey(), PosixFilePermissions.fromString("rw-r--r--"));
    ApprovalKeys.prepare(home, log::add);
    assertThat(log.get(3)).startsWith("replaced (the old ones are not usable (approval signing key " + home.signingKey() + " has mode rw-r--r--");
    assertThat(Files.readAllBytes(home.signingKey())).isNotEqualTo(exposed);
    assertThat(mode(home.signingKey())).isEqualTo("rw-------");
  }

  @Test
  void loadingRefusesKeysOthersCouldReadOrReplace() throws Exception {
    ApprovalKeys.prepare(home, log::add);
    Files.setPosixFilePermissions(home.signingKey(), PosixFilePermissions.fromString("rw-r-----"));
    assertThatThrownBy(() -> ApprovalKeys.loadPrivate(home.signingKey())).isInstanceOf(IOException.class)
        .hasMessage("approval signing key " + home.signingKey() + " has mode rw-r-----: it must be rw------- (others may have read it:"
            + " delete it and restart the daemon for a new pair)");
    Files.setPosixFilePermissions(home.verifyKey(), PosixFilePermissions.fromString("rw-rw-r--"));
    assertThatThrownBy(() -> ApprovalKeys.loadPublic(home.verifyKey())).isInstanceOf(IOException.class)
        .hasMessage("approval verify key " + home.verifyKey() + " has mode rw-rw-r--: others could replace it and so forge approvals;"
            + " chmod 600 it");
    Files.setPosixFilePermissions(home.verifyKey(), PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(ApprovalKeys.loadPublic(home.verifyKey())).isNotNull(); // readable by all is fine for a public key
    Files.write(home.verifyKey(), new byte[] {1, 2, 3});
    assertThatThrownBy(() -> ApprovalKeys.loadPublic(home.verifyKey()))
        .hasMessage(home.verifyKey() + " is not an Ed25519 public key (X.509 DER): delete it and restart the daemon for a new pair");
    Path missing = dir.resolve("nope.key");
    assertThatThrownBy(() -> ApprovalKeys.loadPrivate(missing))
        .hasMessage("approval signing key " + missing + " does not exist: 'agentd daemon run' creates it; start the daemon first");
  }
}
