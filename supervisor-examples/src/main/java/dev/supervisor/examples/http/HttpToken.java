package dev.supervisor.examples.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/** The operator token of the HTTP API: 32 random bytes in hex, in a file of mode 0600. */
public final class HttpToken {
  private HttpToken() {}

  /**
   * Reads the token, creating the file (0600) if it does not exist.
   *
   * @throws IOException if the file is readable by others, empty, or cannot be read or created
   */
  public static String loadOrCreate(Path file) throws IOException {
    if (!Files.exists(file)) {
      byte[] raw = new byte[32];
      new SecureRandom().nextBytes(raw);
      try {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, HexFormat.of().formatHex(raw) + "\n", StandardCharsets.UTF_8);
      } catch (FileAlreadyExistsException e) {
        // another process made it first: read theirs
      }
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
      throw new IOException(file + " is " + PosixFilePermissions.toString(perms) + ": others could read the operator token;"
          + " run 'chmod 600 " + file + "'");
    }
    String token = Files.readString(file, StandardCharsets.UTF_8).trim();
    if (token.length() < 16) {
      throw new IOException(file + " holds no usable token (under 16 characters): delete it and a new one is made");
    }
    return token;
  }
}
