package dev.supervisor.ipc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The real uid of this process, from {@code /proc/self/status} (the JDK has no getuid). */
public final class Uids {
  private static final long CURRENT = read();

  private Uids() {}

  public static long current() {
    return CURRENT;
  }

  private static long read() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("cannot read this process's uid from /proc/self/status: " + e, e);
    }
    throw new IllegalStateException("no Uid line in /proc/self/status");
  }
}
