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
      Path p = Path.of(dir.isEmpty() ? "." : dir, command);
      if (!dir.isEmpty() && !Path.of(dir).isAbsolute() && workingDir != null) {
        p = workingDir.resolve(p);
      }
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
}
