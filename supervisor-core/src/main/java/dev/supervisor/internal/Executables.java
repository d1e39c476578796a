package dev.supervisor.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

/** Checks, before a spawn, what {@code execvp} would fail on, so the failure is a clear start-failure reason. */
public final class Executables {
  private Executables() {}

  /**
   * Why {@code command} cannot be executed with {@code env}'s PATH from {@code workingDir}, or empty
   * if it can.
   */
  public static Optional<String> problem(String command, Map<String, String> env, Path workingDir) {
    if (workingDir != null) {
      if (!Files.exists(workingDir)) {
        return Optional.of("working directory '" + workingDir + "' does not exist; create it or fix workingDirectory");
      }
      if (!Files.isDirectory(workingDir)) {
        return Optional.of("working directory '" + workingDir + "' is not a directory; fix workingDirectory");
      }
    }
    if (command.contains("/")) {
      Path p = Path.of(command);
      if (!p.isAbsolute() && workingDir != null) {
        p = workingDir.resolve(p);
      }
      return fileProblem(command, p);
    }
    String path = env.get("PATH");
    if (path == null || path.isEmpty()) {
      return Optional.of("executable '" + command + "' cannot be found: the child's PATH is empty; give an absolute path or inherit PATH");
    }
    for (String dir : path.split(":")) {
      dir = dir.isEmpty() ? "." : dir; // an empty entry is the child's working directory, as for execvp
      Path p = Path.of(dir).isAbsolute() || workingDir == null ? Path.of(dir, command) : workingDir.resolve(dir).resolve(command);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.empty();
      }
    }
    return Optional.of("executable '" + command + "' not found on PATH (" + path + "); install it or give its absolute path");
  }

  private static Optional<String> fileProblem(String command, Path p) {
    if (!Files.exists(p)) {
      return Optional.of("executable '" + command + "' does not exist");
    }
    if (Files.isDirectory(p)) {
      return Optional.of("executable '" + command + "' is a directory");
    }
    if (!Files.isExecutable(p)) {
      String mode = "";
      try {
        mode = " (mode " + PosixFilePermissions.toString(Files.getPosixFilePermissions(p)) + ")";
      } catch (Exception ignored) {
        // mode is only decoration
      }
      return Optional.of("'" + command + "' is not executable" + mode + "; chmod +x it");
    }
    return Optional.empty();
  }

  /** The file {@code execvp} would run for {@code command}, or empty when there is none. */
  public static Optional<Path> resolve(String command, Map<String, String> env, Path workingDir) {
    if (command.contains("/")) {
      Path p = Path.of(command);
      if (!p.isAbsolute()) {
        p = (workingDir != null ? workingDir : Path.of("")).toAbsolutePath().resolve(p);
      }
      return Files.isRegularFile(p) ? Optional.of(p.normalize()) : Optional.empty();
    }
    String path = env.getOrDefault("PATH", "");
    for (String dir : path.split(":")) {
      dir = dir.isEmpty() ? "." : dir; // an empty entry is the working directory, as for execvp and problem()
      Path p = Path.of(dir).isAbsolute() || workingDir == null ? Path.of(dir, command) : workingDir.resolve(dir).resolve(command);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p.toAbsolutePath().normalize());
      }
    }
    return Optional.empty();
  }

  /**
   * The ELF interpreter ({@code PT_INTERP}, the dynamic loader) of {@code file}, or empty for a
   * static binary, a script or anything unreadable.
   */
  public static Optional<Path> interpreter(Path file) {
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
      java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(64);
      if (ch.read(h, 0) < 52) {
        return Optional.empty();
      }
      h.flip();
      if (h.getInt(0) != 0x7f454c46) {
        return Optional.empty();
      }
      boolean is64 = h.get(4) == 2;
      h.order(h.get(5) == 1 ? java.nio.ByteOrder.LITTLE_ENDIAN : java.nio.ByteOrder.BIG_ENDIAN);
      long phoff = is64 ? h.getLong(32) : h.getInt(28) & 0xffffffffL;
      int phentsize = h.getShort(is64 ? 54 : 42) & 0xffff;
      int phnum = h.getShort(is64 ? 56 : 44) & 0xffff;
      java.nio.ByteBuffer ph = java.nio.ByteBuffer.allocate(phentsize).order(h.order());
      for (int i = 0; i < phnum && i < 64; i++) {
        ph.clear();
        ch.read(ph, phoff + (long) i * phentsize);
        if (ph.getInt(0) == 3) { // PT_INTERP
          long off = is64 ? ph.getLong(8) : ph.getInt(4) & 0xffffffffL;
          long size = is64 ? ph.getLong(32) : ph.getInt(16) & 0xffffffffL;
          if (size <= 1 || size > 4096) {
            return Optional.empty();
          }
          java.nio.ByteBuffer name = java.nio.ByteBuffer.allocate((int) size - 1);
          ch.read(name, off);
          return Optional.of(Path.of(new String(name.array(), java.nio.charset.StandardCharsets.UTF_8)));
        }
      }
      return Optional.empty();
    } catch (java.io.IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
