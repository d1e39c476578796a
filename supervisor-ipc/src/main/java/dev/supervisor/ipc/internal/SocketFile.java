package dev.supervisor.ipc.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.ipc.JsonLineClient;
import dev.supervisor.ipc.RpcException;
import dev.supervisor.persist.OwnerOnly;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file a JSON-lines server listens on: bound in a 0700 directory as 0600, a stale file
 * replaced (never a live server's, never something that is not a socket), its identity recorded
 * so that a deletion or a replacement is noticed and the path bound again, and removed at the end
 * only while it is still the one bound. The server calls {@link #bind} and {@link #rebindIfGone}
 * under its own lock.
 */
public final class SocketFile {
  private static final Logger log = LoggerFactory.getLogger("dev.supervisor.ipc.JsonLineServer");

  private final Path socket;
  private final int backlog;
  /** The identity of the socket file bound last. */
  private volatile Object boundKey;
  /** The last reason a re-bind failed, so it is logged once per episode. */
  private String rebindProblem;

  public SocketFile(Path socket, int backlog) {
    this.socket = socket;
    this.backlog = backlog;
  }

  /** Creates the directory (0700) if missing, replaces a stale socket file, binds (0600) and records the file's identity. */
  public AFUNIXServerSocket bind() throws IOException {
    Path dir = socket.getParent();
    if (!Files.isDirectory(dir)) {
      OwnerOnly.createDirectories(dir); // missing parents 0700 too (a fresh supervisor home)
    } else {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
      if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
        log.warn("socket directory {} is {} (not rwx------): others may reach {}; peer checks still apply", dir,
            PosixFilePermissions.toString(perms), socket.getFileName());
      }
    }
    replaceStale();
    AFUNIXServerSocket s = AFUNIXServerSocket.newInstance();
    try {
      s.bind(AFUNIXSocketAddress.of(socket), backlog);
      s.setDeleteOnClose(false); // removed by remove(), and only while it is still ours
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
      boundKey = fileKey();
    } catch (IOException e) {
      s.close();
      throw e;
    }
    return s;
  }

  /**
   * If the socket file was deleted or replaced (a cleanup of {@code run/}, an operator's {@code
   * rm}), binds again at the same path and returns the new listener; null when the file is still
   * ours, or when it cannot be bound again (a path now held by another live server, or by
   * something that is not a socket, is left alone). Logs once per episode at WARN.
   */
  public AFUNIXServerSocket rebindIfGone() {
    Object now = fileKey();
    if (now != null && now.equals(boundKey)) {
      rebindProblem = null;
      return null;
    }
    AFUNIXServerSocket fresh;
    try {
      fresh = bind();
    } catch (IOException | RuntimeException e) {
      String why = e.getMessage();
      if (!Objects.equals(why, rebindProblem)) {
        log.warn("socket file {} was {} and cannot be bound again: {}; clients cannot reach this server until it is",
            socket, now == null ? "deleted" : "replaced", why);
        rebindProblem = why;
      }
      return null;
    }
    rebindProblem = null;
    log.warn("socket file {} was {}: bound it again (clients in the meantime found no server there)", socket,
        now == null ? "deleted" : "replaced by a stale one");
    return fresh;
  }

  /** Removes the socket file if it is still the one bound last (not a successor's). */
  public void remove() {
    try {
      Object now = fileKey();
      if (now != null && now.equals(boundKey)) {
        Files.deleteIfExists(socket);
      }
    } catch (IOException e) {
      log.debug("removing {}: {}", socket, e.toString());
    }
  }

  /**
   * The identity of whatever is at the socket path now (device, inode and modification time: a
   * file made after ours was deleted may well get our inode number again); null if nothing is.
   */
  private Object fileKey() {
    try {
      BasicFileAttributes a = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return Arrays.asList(a.fileKey(), a.lastModifiedTime());
    } catch (IOException e) {
      return null;
    }
  }

  private void replaceStale() throws IOException {
    if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Files.isRegularFile(socket, LinkOption.NOFOLLOW_LINKS) || Files.isDirectory(socket)) {
      throw new IOException(socket + " exists and is not a socket: remove it or choose another path");
    }
    try {
      ObjectNode pong = JsonLineClient.of(socket, Duration.ofSeconds(1)).call(Json.MAPPER.createObjectNode().put("type", "ping"));
      throw new IOException("socket " + socket + " is served by a live process (pid " + pong.path("pid").asText("?")
          + "): stop it first or choose another path");
    } catch (RpcException e) {
      throw new IOException("socket " + socket + " is served by a live process (it answered " + e + "): stop it first");
    } catch (SocketException e) {
      log.info("replacing stale socket {} (nothing listens on it: {})", socket, e.getMessage());
      Files.deleteIfExists(socket);
    } catch (SocketTimeoutException e) {
      throw new IOException("socket " + socket + " accepts connections but does not answer ping: a hung server holds it; stop it first");
    }
  }
}
