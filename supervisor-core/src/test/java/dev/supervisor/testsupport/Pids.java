package dev.supervisor.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small helpers for tests about processes. */
public final class Pids {
  private Pids() {}

  /**
   * A live (non-zombie) process seen in {@code /proc}.
   *
   * @param pid its pid
   * @param cmdline its command line, NULs as spaces
   */
  public record Live(long pid, String cmdline) {
    /** Its environment block (NUL-separated {@code KEY=VALUE}), or empty if it is gone. */
    public byte[] environ() {
      try {
        return Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ"));
      } catch (IOException e) {
        return new byte[0];
      }
    }
  }

  /** Every live, non-zombie process, read from {@code /proc}; processes that vanish meanwhile are skipped. */
  public static java.util.List<Live> live() throws IOException {
    java.util.List<Live> out = new java.util.ArrayList<>();
    try (java.nio.file.DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
      for (Path p : d) {
        try {
          String stat = Files.readString(p.resolve("stat"));
          if (stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z")) {
            continue;
          }
          String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' ').trim();
          out.add(new Live(Long.parseLong(p.getFileName().toString()), cmd));
        } catch (IOException | RuntimeException e) {
          // gone meanwhile
        }
      }
    }
    return out;
  }

  /** Whether {@code needle} is one whole {@code KEY=VALUE} entry of an environment block. */
  public static boolean hasEntry(byte[] environ, String needle) {
    byte[] n = needle.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    outer:
    for (int i = 0; i + n.length <= environ.length; i++) {
      if (i > 0 && environ[i - 1] != 0) {
        continue;
      }
      for (int j = 0; j < n.length; j++) {
        if (environ[i + j] != n[j]) {
          continue outer;
        }
      }
      if (i + n.length == environ.length || environ[i + n.length] == 0) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code pid} is alive and not a zombie. */
  public static boolean alive(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    } catch (IOException e) {
      return false;
    }
  }

  /** The pid written in {@code file}, or -1 while it is not there yet. */
  public static long readPid(Path file) {
    try {
      String s = Files.readString(file).trim();
      return s.isEmpty() ? -1 : Long.parseLong(s);
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  /** SIGKILL {@code pid}. */
  public static void kill9(long pid) {
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
  }
}
