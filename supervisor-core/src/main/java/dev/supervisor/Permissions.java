package dev.supervisor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Filesystem and network rules for one child, enforced by the kernel (Landlock) on the child and
 * everything it starts. Immutable and threadsafe; build one with {@link #builder()}.
 *
 * <p>When {@link #restrictsFilesystem()} is true the child may only read what is under
 * {@link #read()} or {@link #write()}, write under {@link #write()}, and execute under
 * {@link #exec()}; {@code write} implies {@code read}, {@code exec} implies reading the file.
 * What every child needs just to run (its executable, the dynamic loader and libraries,
 * {@code /dev/null}, {@code /proc}, its log file) is granted on top and listed by {@code inspect}.
 * When {@link #network()} is false the child can neither bind nor connect TCP sockets nor reach
 * abstract Unix sockets outside its own tree; where the supervisor may create a network namespace
 * (root) the child gets an empty one too, so UDP is gone as well.
 *
 * @param read paths (directories recursively, or single files) the child may read
 * @param write paths the child may read, write, create and delete beneath
 * @param exec paths the child may execute (and read)
 * @param restrictsFilesystem whether the filesystem is restricted at all (a rule list was given)
 * @param network whether the child keeps the network
 */
public record Permissions(List<Path> read, List<Path> write, List<Path> exec, boolean restrictsFilesystem, boolean network) {
  public Permissions {
    read = List.copyOf(read);
    write = List.copyOf(write);
    exec = List.copyOf(exec);
  }

  /** A builder with no restriction: the filesystem is restricted once a read, write or exec list is given. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds {@link Permissions}. Not threadsafe. */
  public static final class Builder {
    private final List<Path> read = new ArrayList<>();
    private final List<Path> write = new ArrayList<>();
    private final List<Path> exec = new ArrayList<>();
    private boolean restricts;
    private boolean network = true;

    private Builder() {}

    /** Paths the child may read; calling this (even with none) restricts the filesystem. */
    public Builder read(Path... paths) {
      return add(read, paths);
    }

    /** Paths the child may write beneath (read included); restricts the filesystem. */
    public Builder write(Path... paths) {
      return add(write, paths);
    }

    /** Paths the child may execute; restricts the filesystem. */
    public Builder exec(Path... paths) {
      return add(exec, paths);
    }

    /** Leaves the child no network (TCP bind/connect denied, abstract Unix sockets scoped). */
    public Builder noNetwork() {
      this.network = false;
      return this;
    }

    /** Whether the child keeps the network (the default true). */
    public Builder network(boolean network) {
      this.network = network;
      return this;
    }

    private Builder add(List<Path> to, Path... paths) {
      for (Path p : paths) {
        Objects.requireNonNull(p, "paths");
        if (!p.isAbsolute()) {
          throw new IllegalArgumentException("permission path '" + p + "' must be absolute");
        }
        to.add(p.normalize());
      }
      restricts = true;
      return this;
    }

    public Permissions build() {
      return new Permissions(read, write, exec, restricts, network);
    }
  }
}
