package dev.supervisor.examples.executor;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.examples.tools.CommandPath;
import dev.supervisor.examples.tools.Intent;
import dev.supervisor.examples.tools.Jsons;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The tools, confined to one root: every path is checked after resolving symlinks, so neither
 * {@code ..} nor a link can leave the root. Commands run as argv (never a shell) by the absolute
 * path of their binary, found in the policy's {@link CommandPath} and never through this JVM's
 * own {@code PATH}, in the root, with a fixed environment ({@code PATH} = that search path,
 * {@code LANG=C.UTF-8}, nothing else), a timeout and capped output.
 */
public final class Tools {
  /** Largest file {@code read} returns, and most output {@code exec} keeps. */
  public static final int MAX_BYTES = 64 * 1024;
  private final Path root;
  private final Duration execTimeout;
  private final CommandPath path;

  public Tools(Path root, Duration execTimeout, CommandPath path) throws IOException {
    this.root = root.toRealPath();
    this.execTimeout = execTimeout;
    this.path = path;
  }

  /**
   * Runs a file intent, or an exec whose command is looked up in the search path here.
   *
   * @throws SecurityException if a path leaves the root
   * @throws IOException if the tool fails, or an exec's command is not in the search path
   */
  public ObjectNode run(Intent intent) throws IOException {
    switch (intent.tool()) {
      case "read":
        return read(intent.path().get());
      case "write":
        return write(intent.path().get(), intent.text().get());
      case "list":
        return list(intent.path().get());
      default:
        String command = intent.argv().get(0);
        Path exe;
        try {
          exe = path.resolve(command).orElseThrow(() -> new IOException(command + " is not in the search path " + path));
        } catch (IllegalArgumentException e) {
          throw new IOException(e.getMessage());
        }
        return exec(exe, intent.argv());
    }
  }

  /** The real path of an existing {@code p}, refused unless it is inside the root. */
  private Path inside(Path p) throws IOException {
    Path real;
    try {
      real = p.toRealPath();
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(p + " does not exist");
    }
    if (!real.startsWith(root)) {
      throw new SecurityException(p + " resolves to " + real + ", outside the allowed root " + root);
    }
    return real;
  }

  private ObjectNode read(Path p) throws IOException {
    Path real = inside(p);
    if (!Files.isRegularFile(real)) {
      throw new IOException(p + " is not a regular file");
    }
    long size = Files.size(real);
    byte[] bytes;
    try (InputStream in = Files.newInputStream(real)) {
      bytes = in.readNBytes(MAX_BYTES);
    }
    return Jsons.MAPPER.createObjectNode().put("ok", true).put("content", new String(bytes, StandardCharsets.UTF_8))
        .put("bytes", size).put("truncated", size > MAX_BYTES);
  }

  private ObjectNode write(Path p, String text) throws IOException {
    Path parent = inside(p.getParent());
    Path target = parent.resolve(p.getFileName());
    if (Files.isSymbolicLink(target)) {
      throw new SecurityException(p + " is a symbolic link; writing through links is refused");
    }
    if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(p + " is a directory");
    }
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    Path tmp = Files.createTempFile(parent, "." + p.getFileName(), ".tmp");
    try {
      Files.write(tmp, bytes);
      try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return Jsons.MAPPER.createObjectNode().put("ok", true).put("bytes", bytes.length).put("path", target.toString());
  }

  private ObjectNode list(Path p) throws IOException {
    Path real = inside(p);
    ObjectNode out = Jsons.MAPPER.createObjectNode().put("ok", true);
    ArrayNode entries = out.putArray("entries");
    try (Stream<Path> s = Files.list(real)) {
      s.sorted().forEach(e -> entries.add(e.getFileName() + (Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS) ? "/" : "")));
    }
    return out;
  }

  /**
   * Runs {@code argv} with its command replaced by {@code executable}, which must be absolute:
   * a bare name would be looked up by the JDK in this JVM's {@code PATH}, which whoever started
   * the daemon chose.
   *
   * @throws IllegalArgumentException if {@code executable} is not absolute
   * @throws IOException if it cannot be started
   */
  public ObjectNode exec(Path executable, List<String> argv) throws IOException {
    if (!executable.isAbsolute()) {
      throw new IllegalArgumentException("executable must be an absolute path, not " + executable);
    }
    List<String> command = new ArrayList<>(argv);
    command.set(0, executable.toString());
    ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().clear();
    pb.environment().put("PATH", path.toString());
    pb.environment().put("LANG", "C.UTF-8");
    Process proc = pb.start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    boolean[] truncated = {false};
    Thread reader = new Thread(() -> {
      byte[] buf = new byte[8192];
      try (InputStream in = proc.getInputStream()) {
        int n;
        while ((n = in.read(buf)) > 0) {
          int keep = Math.min(n, MAX_BYTES - out.size());
          if (keep > 0) {
            out.write(buf, 0, keep);
          }
          if (keep < n) {
            truncated[0] = true; // keep draining so the command is never blocked on a full pipe
          }
        }
      } catch (IOException ignored) {
        // the process was killed
      }
    }, "exec-output");
    reader.start();
    boolean done;
    try {
      done = proc.waitFor(execTimeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!done) {
        proc.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      reader.join(2000);
    } catch (InterruptedException e) {
      proc.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
    return Jsons.MAPPER.createObjectNode().put("ok", done && proc.exitValue() == 0).put("exitCode", done ? proc.exitValue() : -1)
        .put("timedOut", !done).put("output", out.toString(StandardCharsets.UTF_8)).put("truncated", truncated[0]);
  }
}
