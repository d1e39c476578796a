package dev.supervisor.spi;

import dev.supervisor.internal.SystemProcessLauncher;
import java.io.IOException;

/**
 * Starts a child's process. Called on the supervisor's event loop: it must return quickly and
 * never block on the process. Threadsafe.
 */
public interface ProcessLauncher {

  /**
   * Starts the process of {@code request} as the leader of a new process group.
   *
   * @throws IOException if it cannot be started; the message is shown as the start failure
   *     ("executable 'x' does not exist ..."), so it should name the problem and the fix
   */
  LaunchedProcess launch(LaunchRequest request) throws IOException;

  /**
   * The privilege controls of {@code spec} ({@link dev.supervisor.ChildSpec#privileges()}) this
   * launcher cannot enforce on this host, each as {@code "field: reason"}. The default names every
   * declared control: a launcher that does not know about privileges enforces none of them, and
   * saying so keeps a strict child from starting unprotected.
   */
  default java.util.List<String> unenforced(dev.supervisor.ChildSpec spec) {
    return spec.privileges().isEmpty() ? java.util.List.of()
        : java.util.List.of("privileges: the process launcher " + this + " does not enforce privileges");
  }

  /**
   * How this launcher starts and signals processes, in words, for status and logs (agentd's
   * {@code daemon status} shows it). The default is the launcher's class name.
   */
  default String layer() {
    return getClass().getSimpleName();
  }

  /**
   * Re-attaches the live process of a child that a previous supervisor on the same home started
   * and left running (it crashed, with {@code OrphanPolicy.ADOPT}, or it handed over). Empty when
   * that process is gone, or its pid now names another process: the child is then recorded as
   * having died while no supervisor watched it. The process's {@link LaunchedProcess#onExit()}
   * completes once it has gone, exceptionally when its exit status cannot be read (a process that
   * is not this JVM's child). Called on the event loop before any child starts. The default
   * adopts real processes, as {@link #system()} does.
   *
   * @param process its pid and start time, as saved
   * @param cgroup the cgroup its supervisor made for it, as saved
   */
  default java.util.Optional<LaunchedProcess> adopt(dev.supervisor.persist.ProcessSignature process,
      java.util.Optional<String> cgroup) {
    return SystemProcessLauncher.INSTANCE.adopt(process, cgroup);
  }

  /**
   * Real processes: {@code setpriv --pdeathsig KILL -- sh -c 'check parent, join cgroup' [setsid] argv}, output
   * appended to the log file; each run in a cgroup of its own where one can be made
   * ({@code -Dsupervisor.containment=process-group} turns that off). On JDK 22+ started by
   * {@code posix_spawn} through the FFM API (the session made by the spawn, no {@code setsid}) and
   * reaped by one exit-watch thread for all children; on JDK 17 by {@link ProcessBuilder}, a
   * reaper thread each ({@link #layer()} says which; {@code -Dsupervisor.processLayer}).
   */
  static ProcessLauncher system() {
    return SystemProcessLauncher.INSTANCE;
  }
}
