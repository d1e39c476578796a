package dev.supervisor;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A child's privileges as declared, what of them is not enforced on this host (with
 * {@link Enforcement#BEST_EFFORT}), what it was granted just to run, and what the kernel shows
 * for its live process.
 *
 * @param declared the spec's {@link Privileges}
 * @param notEnforced each declared control not enforced here, as {@code "field: reason"}; empty when all are
 * @param grantedToRun paths granted on top of the declared permissions so the child can run at all
 *     (its executables and loader, libraries, {@code /dev/null}, {@code /proc}, its log file), with
 *     {@code "read"}, {@code "read,exec"} or {@code "read,write"}; empty without filesystem rules
 * @param effective the live process's credentials and limits, read from {@code /proc} now
 */
public record PrivilegeReport(Privileges declared, List<String> notEnforced, Map<Path, String> grantedToRun,
    Optional<Effective> effective) {
  public PrivilegeReport {
    notEnforced = List.copyOf(notEnforced);
    grantedToRun = Map.copyOf(grantedToRun);
  }

  /**
   * What {@code /proc/PID/status} and {@code /proc/PID/limits} show for the live process.
   *
   * @param uid effective user id
   * @param gid effective group id
   * @param groups supplementary groups
   * @param capabilities the effective capability set, by name
   * @param noNewPrivileges the {@code NoNewPrivs} flag
   * @param limits the declared limits as the kernel holds them ({@code nofile -> "1024"}), soft values
   */
  public record Effective(long uid, long gid, List<Long> groups, List<String> capabilities, boolean noNewPrivileges,
      Map<String, String> limits) {
    public Effective {
      groups = List.copyOf(groups);
      capabilities = List.copyOf(capabilities);
      limits = Map.copyOf(limits);
    }
  }
}
