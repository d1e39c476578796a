package dev.supervisor.examples.launcher;

import dev.supervisor.Enforcement;
import dev.supervisor.Permissions;
import dev.supervisor.Privileges;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The least privilege of agentd's three children, after the seed's table, enforced by the
 * library ({@link Privileges}): every one {@code no_new_privs}, no capabilities, no network, run
 * as {@link ChildUser} when agentd is root, and Landlock rules (JDK 22+) that give each only its
 * own files:
 * <ul>
 *   <li>validator: reads its policy and the signing key, writes its audit log; executes nothing
 *       but its own JVM;
 *   <li>executor: reads the verifying (public) key, reads and writes the workspace, executes only
 *       the commands the policy allows, which inherit all of it;
 *   <li>scheduler: its database (in its own {@code work/scheduler/}), no key.
 * </ul>
 * Each also reads what a JVM needs (the JDK, the class path, a few files of {@code /etc},
 * {@code /sys} for the container and CPU view, {@code /dev/urandom}) and writes its own
 * {@code work/NAME/} (socket, {@code java.io.tmpdir}). Enforcement is best effort, so agentd
 * still starts where Landlock is missing (JDK 17): status then lists what is not enforced.
 */
public final class TrioPrivileges {
  /** Read-only system paths a JVM child needs, taken when they exist. */
  static final List<Path> JVM_SYSTEM_READS = List.of(Path.of("/etc/passwd"), Path.of("/etc/group"),
      Path.of("/etc/nsswitch.conf"), Path.of("/etc/localtime"), Path.of("/etc/hosts"), Path.of("/usr/share/zoneinfo"),
      Path.of("/sys/fs/cgroup"), Path.of("/sys/devices/system/cpu"), Path.of("/dev/urandom"), Path.of("/dev/random"));

  private TrioPrivileges() {}

  /**
   * The privileges of child {@code name}.
   *
   * @param classPath the class path it starts from
   * @param reads what it reads beyond the JVM's needs (policy, a key)
   * @param writes what it writes beyond its own work directory (audit log, workspace)
   * @param execs what it may execute beyond its JVM (the executor's commands)
   */
  public static Privileges of(String name, AgentdHome home, String classPath, Optional<ChildUser> user, List<Path> reads,
      List<Path> writes,
      List<Path> execs) {
    Privileges.Builder b = Privileges.builder().noNewPrivileges().enforcement(Enforcement.BEST_EFFORT);
    user.ifPresent(u -> b.user(Long.toString(u.uid())).group(Long.toString(u.gid())).capabilities());
    List<Path> read = new ArrayList<>();
    read.add(Path.of(System.getProperty("java.home")));
    for (String e : classPath.split(File.pathSeparator)) {
      read.add(Path.of(e));
    }
    JVM_SYSTEM_READS.stream().filter(Files::exists).forEach(read::add);
    reads.stream().filter(Files::exists).forEach(read::add);
    List<Path> write = new ArrayList<>(List.of(home.workDir(name)));
    write.addAll(writes);
    List<Path> exec = new ArrayList<>(execs);
    Permissions.Builder p = Permissions.builder().read(read.toArray(Path[]::new)).write(write.toArray(Path[]::new))
        .exec(exec.toArray(Path[]::new)).noNetwork();
    return b.permissions(p.build()).build();
  }
}
