package dev.supervisor.examples.tools;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where the policy looks up a command name: absolute directories, searched in order. This, not
 * the {@code PATH} of whoever started the daemon, decides which binary {@code exec ls} runs, and
 * it is the {@code PATH} the command itself sees. Immutable.
 */
public final class CommandPath {
  /** The search path of a policy that does not set {@code "path"}. */
  public static final String DEFAULT = "/usr/local/bin:/usr/bin:/bin";

  private final List<Path> dirs;

  private CommandPath(List<Path> dirs) {
    this.dirs = List.copyOf(dirs);
  }

  /**
   * Parses a colon-separated list of absolute directories.
   *
   * @throws IllegalArgumentException for an empty list or an entry that is empty or relative
   *     (a POSIX PATH reads both as the current directory)
   */
  public static CommandPath parse(String text) {
    List<Path> dirs = new ArrayList<>();
    for (String d : text.split(":", -1)) {
      if (d.isEmpty() || !d.startsWith("/")) {
        throw new IllegalArgumentException("'" + d + "' in path '" + text + "' is not an absolute directory"
            + " (an empty or relative entry would search the working directory)");
      }
      dirs.add(Path.of(d).normalize());
    }
    return new CommandPath(dirs);
  }

  /**
   * The first {@code dir/name} that is an executable regular file. The path is returned as found,
   * not with its links resolved: a multi-call binary (busybox) tells its tools apart by that name.
   *
   * @throws IllegalArgumentException if {@code name} is not a bare command name
   */
  public Optional<Path> resolve(String name) {
    if (!isBareName(name)) {
      throw new IllegalArgumentException("'" + name + "' is not a command name: give the name alone (ls, not /bin/ls);"
          + " it is looked up in the policy's path " + this);
    }
    for (Path d : dirs) {
      Path p = d.resolve(name);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** A name with no {@code /} that is not {@code .} or {@code ..}. */
  public static boolean isBareName(String name) {
    return !name.isEmpty() && name.indexOf('/') < 0 && !name.equals(".") && !name.equals("..") && name.indexOf('\0') < 0;
  }

  /** The colon-separated form, as a {@code PATH} value. */
  @Override
  public String toString() {
    return String.join(":", dirs.stream().map(Path::toString).toList());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CommandPath c && c.dirs.equals(dirs);
  }

  @Override
  public int hashCode() {
    return dirs.hashCode();
  }
}
