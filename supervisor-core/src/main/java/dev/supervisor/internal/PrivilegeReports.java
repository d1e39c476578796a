package dev.supervisor.internal;

import dev.supervisor.ChildSpec;
import dev.supervisor.PrivilegeReport;
import dev.supervisor.Privileges;
import dev.supervisor.ResourceLimit;
import dev.supervisor.spi.ProcessLauncher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** Builds a child's {@link PrivilegeReport} for status and inspect. */
public final class PrivilegeReports {
  private PrivilegeReports() {}

  /**
   * The report of a child, or empty when it declares no privileges.
   *
   * @param pid the live process, if any
   */
  public static Optional<PrivilegeReport> of(ChildSpec spec, ProcessLauncher launcher, Map<String, String> hostEnv,
      boolean parentDeathSignal, Optional<Path> logFile, OptionalLong pid) {
    Privileges p = spec.privileges();
    if (p.isEmpty()) {
      return Optional.empty();
    }
    Map<Path, String> granted = new LinkedHashMap<>();
    if (launcher instanceof SystemProcessLauncher && p.permissions().map(perm -> perm.restrictsFilesystem()).orElse(false)) {
      List<String> argv = ListenSockets.withListenPid(spec.argv(), spec.sockets().isEmpty() ? List.of() : List.of(3)); // as launched
      List<String> command = PrivilegedCommand.command(p, parentDeathSignal, argv, !((SystemProcessLauncher) launcher).spawnsNatively());
      PrivilegedCommand.runtimeGrants(command, spec.effectiveEnv(hostEnv), spec.workingDirectory().orElse(null), logFile)
          .forEach((path, access) -> granted.put(path, words(access)));
    }
    Optional<PrivilegeReport.Effective> effective = Optional.empty();
    if (pid.isPresent()) {
      effective = Capabilities.of(pid.getAsLong()).map(c -> new PrivilegeReport.Effective(c.uid(), c.gid(), c.groups(),
          c.effectiveNames(), c.noNewPrivs(), limits(pid.getAsLong(), p)));
    }
    return Optional.of(new PrivilegeReport(p, launcher.unenforced(spec), granted, effective));
  }

  private static String words(long access) {
    StringBuilder s = new StringBuilder("read");
    if ((access & Landlock.EXECUTE) != 0) {
      s.append(",exec");
    }
    if ((access & Landlock.WRITE_FILE) != 0) {
      s.append(",write");
    }
    return s.toString();
  }

  private static Map<String, String> limits(long pid, Privileges p) {
    Map<String, String> out = new LinkedHashMap<>();
    if (p.limits().isEmpty()) {
      return out;
    }
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "limits"));
      for (ResourceLimit l : p.limits().keySet()) {
        String label = label(l);
        for (String line : lines) {
          if (line.startsWith(label)) {
            out.put(l.key(), line.substring(label.length()).trim().split("\\s+")[0]);
          }
        }
      }
    } catch (IOException | RuntimeException ignored) {
      // gone: no limits to show
    }
    return out;
  }

  static String label(ResourceLimit limit) {
    return switch (limit) {
      case NOFILE -> "Max open files";
      case NPROC -> "Max processes";
      case CORE -> "Max core file size";
      case AS -> "Max address space";
      case FSIZE -> "Max file size";
      case CPU -> "Max cpu time";
    };
  }
}
