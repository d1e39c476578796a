package dev.supervisor.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One child run's cgroup. Threadsafe. */
public final class ChildCgroup {
  private static final Logger log = LoggerFactory.getLogger(Cgroups.class);

  private final Cgroups.Kind kind;
  private final Path dir;
  private final Cgroups.Hierarchy hierarchy;

  ChildCgroup(Cgroups.Kind kind, Path dir, Cgroups.Hierarchy hierarchy) {
    this.kind = kind;
    this.dir = dir;
    this.hierarchy = hierarchy;
  }

  public Path dir() {
    return dir;
  }

  /** The file a process writes its pid into to join. */
  public Path procs() {
    return dir.resolve("cgroup.procs");
  }

  /** The processes in it (and in any cgroup beneath it), zombies excluded; empty once it is gone. */
  public List<Long> pids() {
    List<Long> out = new ArrayList<>();
    collect(dir, out);
    return out;
  }

  static void collect(Path d, List<Long> out) {
    try {
      for (String line : Files.readAllLines(d.resolve("cgroup.procs"), StandardCharsets.US_ASCII)) {
        if (!line.isBlank()) {
          out.add(Long.parseLong(line.trim()));
        }
      }
      try (DirectoryStream<Path> s = Files.newDirectoryStream(d, Files::isDirectory)) {
        for (Path sub : s) {
          collect(sub, out);
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone meanwhile
    }
  }

  /** How many processes are in it: one read of {@code cgroup.procs} (sub-cgroups included). */
  public int count() {
    return pids().size();
  }

  /** Whether no process is left in it (v2: {@code populated 0} in {@code cgroup.events}, which counts sub-cgroups). */
  public boolean isEmpty() {
    if (kind.v2()) {
      try {
        for (String line : Files.readAllLines(dir.resolve("cgroup.events"), StandardCharsets.US_ASCII)) {
          if (line.startsWith("populated ")) {
            return line.endsWith(" 0");
          }
        }
      } catch (NoSuchFileException e) {
        return true;
      } catch (IOException e) {
        // fall back to the list
      }
    }
    return !Files.isDirectory(dir) || pids().isEmpty();
  }

  /**
   * Sends {@code signal} to its processes outside process group {@code pgid} (the group itself
   * is signalled by the caller): they left the group, so a group signal misses them. Returns
   * their pids.
   */
  public List<Long> signalOutsideGroup(String signal, long pgid) {
    List<Long> outside = new ArrayList<>();
    for (long pid : pids()) {
      ProcStat.read(pid).filter(st -> st.pgrp() != pgid && st.state() != 'Z').ifPresent(st -> outside.add(pid));
    }
    ProcessGroups.signalPids(outside, signal);
    return outside;
  }

  /** SIGKILL to everything in it; returns at once (a freeze, where one is needed, happens on a helper thread). */
  public void killAsync() {
    if (kind == Cgroups.Kind.V2_KILL) {
      kill();
    } else {
      Cgroups.KILLER.execute(this::kill);
    }
  }

  /** SIGKILL to everything in it, blocking for a freeze where the kind needs one. */
  public void kill() {
    try {
      switch (kind) {
        case V2_KILL -> write("cgroup.kill", "1");
        case V2_FREEZE -> freezeKillThaw("cgroup.freeze", "1", "0");
        case V1_FREEZER -> freezeKillThaw("freezer.state", "FROZEN", "THAWED");
        default -> {
          if (kind == Cgroups.Kind.V1_PIDS) {
            try {
              write("pids.max", "0"); // no fork can outrun the loop below
            } catch (IOException e) {
              log.debug("cannot cap {}: {}", dir, e.toString());
            }
          }
          for (int round = 0; round < 50; round++) {
            List<Long> left = pids();
            if (left.isEmpty()) {
              break;
            }
            ProcessGroups.signalPids(left, "KILL");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
          }
        }
      }
    } catch (NoSuchFileException e) {
      // already removed: nothing left to kill
    } catch (IOException e) {
      log.warn("cannot kill the processes in cgroup {}: {}; killing them one by one", dir, e.getMessage());
      ProcessGroups.signalPids(pids(), "KILL");
    }
  }

  private void freezeKillThaw(String file, String freeze, String thaw) throws IOException {
    write(file, freeze);
    try {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
      while (!frozen(file) && System.nanoTime() < deadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      }
      // a frozen process cannot fork: one pass gets them all (a pending SIGKILL acts at the thaw)
      ProcessGroups.signalPids(pids(), "KILL");
    } finally {
      write(file, thaw);
    }
  }

  private boolean frozen(String file) {
    try {
      if (kind == Cgroups.Kind.V1_FREEZER) {
        return Files.readString(dir.resolve(file)).trim().equals("FROZEN");
      }
      return Files.readAllLines(dir.resolve("cgroup.events")).contains("frozen 1");
    } catch (IOException e) {
      return true;
    }
  }

  private void write(String file, String value) throws IOException {
    Files.write(dir.resolve(file), value.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
  }

  /** Waits until no process is left in it; true if that happened within {@code timeout}. */
  public boolean awaitEmpty(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!isEmpty()) {
      if (System.nanoTime() >= deadline) {
        return false;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
    return true;
  }

  /**
   * Removes the cgroup directory (and the per-JVM directory above it when that is left empty);
   * true if it is gone. Retries briefly: the kernel may report it busy for a moment after its
   * last process exited.
   */
  public boolean remove() {
    for (int i = 0; i < 50; i++) {
      if (Cgroups.removeTree(dir)) {
        Path parent = dir.getParent();
        if (parent != null && Cgroups.SLOT_NAME.matcher(parent.getFileName().toString()).matches()) {
          Path root = parent.getParent();
          if (hierarchy != null || root == null || root.getFileName().toString().equals("supervisor-" + Cgroups.SELF)) {
            return true; // a slot of this JVM stays while its spawner thread lives
          }
          Cgroups.removeTree(parent); // a slot of a supervisor that is gone
          parent = root;
        }
        Cgroups.pruneRoot(parent);
        return true;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
    log.warn("cannot remove cgroup {}: processes {} are still in it", dir, pids());
    return false;
  }

  @Override
  public String toString() {
    return dir.toString();
  }
}
