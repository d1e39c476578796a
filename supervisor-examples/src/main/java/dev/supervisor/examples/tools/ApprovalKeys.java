package dev.supervisor.examples.tools;

import dev.supervisor.examples.launcher.AgentdHome;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The approval key pair on disk, in two directories so that per-child filesystem rules can give
 * each child only its half: the Ed25519 private key (PKCS#8, DER) in
 * {@code <home>/keys/validator/approval.key} for the validator, the public key (X.509, DER) in
 * {@code <home>/keys/public/approval.pub} for the executor. Files 0600, directories 0700. The
 * launcher makes them before the children start; the children only read them.
 */
public final class ApprovalKeys {
  private static final Set<PosixFilePermission> OTHERS_WRITE = Set.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

  private ApprovalKeys() {}

  /**
   * What {@code agentd daemon run} does before the children start: makes the key pair unless a
   * good one exists (see {@link #ensure}), and deletes the HMAC key {@code agentd.key} that
   * earlier versions shared between validator and executor: it is a secret no longer used.
   *
   * @throws IOException if a key cannot be written
   */
  public static void prepare(AgentdHome home, Consumer<String> log) throws IOException {
    PrivateFiles.directory(home.keys());
    ensure(home.signingKey(), home.verifyKey(), log);
    if (Files.deleteIfExists(home.legacyKeyFile())) {
      log.accept("deleted " + home.legacyKeyFile() + ", the shared key of earlier versions: approvals are now signed"
          + " with the Ed25519 key in " + home.signingKey() + " and verified with " + home.verifyKey());
    }
  }

  /**
   * Makes a new pair unless both files exist, are private and match each other; a private key
   * that others could read counts as spent. Concurrent callers (racing launchers) take turns on
   * a lock beside the private key, so they never leave halves of two different pairs.
   *
   * @throws IOException if a key cannot be written
   */
  public static void ensure(Path privateKey, Path publicKey, Consumer<String> log) throws IOException {
    PrivateFiles.directory(privateKey.getParent());
    PrivateFiles.directory(publicKey.getParent());
    try (FileChannel ch = FileChannel.open(privateKey.resolveSibling(".lock"), Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        FileLock lock = ch.lock()) {
      String problem = null;
      if (Files.exists(privateKey) || Files.exists(publicKey)) {
        try {
          if (!matches(loadPrivate(privateKey), loadPublic(publicKey))) {
            problem = "do not form a pair";
          }
        } catch (IOException e) {
          problem = "are not usable (" + e.getMessage() + ")";
        }
        if (problem == null) {
          return;
        }
      }
      KeyPair pair;
      try {
        pair = KeyPairGenerator.getInstance(Approvals.ALGORITHM).generateKeyPair();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(Approvals.ALGORITHM + " is missing from this JDK", e);
      }
      PrivateFiles.write(privateKey, pair.getPrivate().getEncoded());
      PrivateFiles.write(publicKey, pair.getPublic().getEncoded());
      log.accept((problem == null ? "created" : "replaced (the old ones " + problem + ")") + " the approval keys "
          + privateKey + " (validator only) and " + publicKey + " (executor)");
    }
  }

  /**
   * The validator's key, refused unless only its owner can read it.
   *
   * @throws IOException naming the file, the problem and the fix
   */
  public static PrivateKey loadPrivate(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new IOException("approval signing key " + file + " does not exist: 'agentd daemon run' creates it; start the daemon first");
    }
    String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    if (!mode.equals("rw-------") && !mode.equals("r--------")) {
      throw new IOException("approval signing key " + file + " has mode " + mode + ": it must be rw------- (others may have"
          + " read it: delete it and restart the daemon for a new pair)");
    }
    try {
      return KeyFactory.getInstance(Approvals.ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(file)));
    } catch (GeneralSecurityException e) {
      throw new IOException(file + " is not an Ed25519 private key (PKCS#8 DER): delete it and restart the daemon for a new pair");
    }
  }

  /**
   * The executor's key, refused if anyone but its owner could replace it (whoever can, can forge).
   *
   * @throws IOException naming the file, the problem and the fix
   */
  public static PublicKey loadPublic(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new IOException("approval verify key " + file + " does not exist: 'agentd daemon run' creates it; start the daemon first");
    }
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
    if (mode.stream().anyMatch(OTHERS_WRITE::contains)) {
      throw new IOException("approval verify key " + file + " has mode " + PosixFilePermissions.toString(mode)
          + ": others could replace it and so forge approvals; chmod 600 it");
    }
    try {
      return KeyFactory.getInstance(Approvals.ALGORITHM).generatePublic(new X509EncodedKeySpec(Files.readAllBytes(file)));
    } catch (GeneralSecurityException e) {
      throw new IOException(file + " is not an Ed25519 public key (X.509 DER): delete it and restart the daemon for a new pair");
    }
  }

  private static boolean matches(PrivateKey priv, PublicKey pub) {
    try {
      byte[] probe = "agentd approval key check".getBytes(StandardCharsets.UTF_8);
      Signature s = Signature.getInstance(Approvals.ALGORITHM);
      s.initSign(priv);
      s.update(probe);
      byte[] sig = s.sign();
      s.initVerify(pub);
      s.update(probe);
      return s.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
