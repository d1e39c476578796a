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

  /** Real processes: {@code setpriv --pdeathsig KILL -- setsid argv}, output appended to the log file. */
  static ProcessLauncher system() {
    return SystemProcessLauncher.INSTANCE;
  }
}
