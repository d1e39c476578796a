package dev.supervisor.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small helpers for tests about processes. */
public final class Pids {
  private Pids() {}

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
