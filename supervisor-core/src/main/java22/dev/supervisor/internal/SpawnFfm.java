package dev.supervisor.internal;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.supervisor.ExitStatus;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * {@code posix_spawn} of glibc through the FFM API (JDK 22+), as {@link NativeSpawns} describes
 * it, and the hand-over of the new child to the exit watch. Refuses to load (the layer then falls
 * back to the JDK's spawn) on a libc without {@code posix_spawn_file_actions_addclosefrom_np}
 * (glibc 2.34) or {@code addchdir_np} (2.29).
 */
final class SpawnFfm implements NativeSpawns.Spawn {
  private static final short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;
  private static final int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0100, O_APPEND = 02000, O_CLOEXEC = 02000000;
  private static final int SIGKILL = 9, P_PID = 1, WEXITED = 4, ENOEXEC = 8, F_DUPFD_CLOEXEC = 1030;
  /** glibc's posix_spawnattr_t is 336 bytes, posix_spawn_file_actions_t 80, sigset_t 128 (64-bit): room to spare. */
  private static final long ATTR_SIZE = 1024, ACTIONS_SIZE = 512, SIGSET_SIZE = 256;

  private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");
  private static final FunctionDescriptor INT_PTR = FunctionDescriptor.of(JAVA_INT, ADDRESS);

  private final MethodHandle spawn = Libc.handle("posix_spawn",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
  private final MethodHandle attrInit = Libc.handle("posix_spawnattr_init", INT_PTR);
  private final MethodHandle attrDestroy = Libc.handle("posix_spawnattr_destroy", INT_PTR);
  private final MethodHandle setFlags = Libc.handle("posix_spawnattr_setflags", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT));
  private final MethodHandle setSigMask = Libc.handle("posix_spawnattr_setsigmask", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
  private final MethodHandle setSigDefault = Libc.handle("posix_spawnattr_setsigdefault", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
  private final MethodHandle sigEmpty = Libc.handle("sigemptyset", INT_PTR);
  private final MethodHandle sigFill = Libc.handle("sigfillset", INT_PTR);
  private final MethodHandle actionsInit = Libc.handle("posix_spawn_file_actions_init", INT_PTR);
  private final MethodHandle actionsDestroy = Libc.handle("posix_spawn_file_actions_destroy", INT_PTR);
  private final MethodHandle addOpen = Libc.handle("posix_spawn_file_actions_addopen",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
  private final MethodHandle addDup2 = Libc.handle("posix_spawn_file_actions_adddup2",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
  private final MethodHandle addChdir = Libc.handle("posix_spawn_file_actions_addchdir_np", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
  private final MethodHandle addCloseFrom = Libc.handle("posix_spawn_file_actions_addclosefrom_np",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
  private final MethodHandle open = Libc.handle("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
      Linker.Option.firstVariadicArg(2), CAPTURE);
  private final MethodHandle close = Libc.handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private final MethodHandle fcntl = Libc.handle("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
      Linker.Option.firstVariadicArg(2));
  private final MethodHandle kill = Libc.handle("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
  private final MethodHandle waitid = Libc.handle("waitid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));

  private final ExitWatch.Pidfds pidfds;

  SpawnFfm(ExitWatch.Pidfds pidfds) {
    this.pidfds = pidfds;
  }

  @Override
  public NativeSpawns.Spawned spawn(Path executable, List<String> argv, Map<String, String> env, Optional<Path> dir,
      Optional<Path> output, List<Integer> passFds) throws IOException {
    for (int fd : passFds) {
      if (fd < 3) { // the standard streams are set up first: a descriptor there would be passed as /dev/null or the log
        throw new IOException("descriptor " + fd + " cannot be passed on: only descriptors 3 and above can");
      }
    }
    for (String a : argv) {
      if (a.indexOf('\0') >= 0) {
        throw new IOException("an argument contains a NUL byte, which no program can receive: " + a.replace('\0', '?'));
      }
    }
    for (Map.Entry<String, String> e : env.entrySet()) {
      if (e.getKey().indexOf('\0') >= 0 || e.getValue().indexOf('\0') >= 0 || e.getKey().indexOf('=') >= 0) {
        throw new IOException("environment variable '" + e.getKey().replace('\0', '?') + "' has a NUL byte or '=' in its name,"
            + " or a NUL byte in its value");
      }
    }
    try {
      return doSpawn(executable, argv, env, dir, output, passFds);
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  private NativeSpawns.Spawned doSpawn(Path executable, List<String> argv, Map<String, String> env, Optional<Path> dir,
      Optional<Path> output, List<Integer> passFds) throws Throwable {
    int pid;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment attr = arena.allocate(ATTR_SIZE, 16);
      MemorySegment actions = arena.allocate(ACTIONS_SIZE, 16);
      check((int) attrInit.invokeExact(attr), "posix_spawnattr_init");
      int outFd = -1;
      try {
        check((int) actionsInit.invokeExact(actions), "posix_spawn_file_actions_init");
        try {
          MemorySegment mask = arena.allocate(SIGSET_SIZE, 16);
          MemorySegment defaults = arena.allocate(SIGSET_SIZE, 16);
          check((int) sigEmpty.invokeExact(mask), "sigemptyset");
          check((int) sigFill.invokeExact(defaults), "sigfillset");
          check((int) setSigMask.invokeExact(attr, mask), "posix_spawnattr_setsigmask");
          check((int) setSigDefault.invokeExact(attr, defaults), "posix_spawnattr_setsigdefault");
          check((int) setFlags.invokeExact(attr, (short) (POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)),
              "posix_spawnattr_setflags");
          MemorySegment devNull = arena.allocateFrom("/dev/null");
          check((int) addOpen.invokeExact(actions, 0, devNull, O_RDONLY, 0), "addopen stdin");
          if (output.isPresent()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            String file = output.get().toAbsolutePath().toString();
            outFd = (int) open.invokeExact(state, arena.allocateFrom(file), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
            if (outFd < 0) {
              int errno = (int) ERRNO.get(state, 0L);
              throw new IOException("cannot open the log file " + file + ": " + Libc.describe(errno));
            }
            if (outFd < 3) { // the JVM runs with a standard stream closed: keep the log clear of the child's 0, 1 and 2
              int moved = (int) fcntl.invokeExact(outFd, F_DUPFD_CLOEXEC, 3);
              int closed = (int) close.invokeExact(outFd);
              outFd = moved;
              if (outFd < 0) {
                throw new IOException("cannot move the log file's descriptor above 2");
              }
            }
            check((int) addDup2.invokeExact(actions, outFd, 1), "adddup2 stdout");
            check((int) addDup2.invokeExact(actions, outFd, 2), "adddup2 stderr");
          } else {
            check((int) addOpen.invokeExact(actions, 1, devNull, O_WRONLY, 0), "addopen stdout");
            check((int) addDup2.invokeExact(actions, 1, 2), "adddup2 stderr");
          }
          if (dir.isPresent()) {
            check((int) addChdir.invokeExact(actions, arena.allocateFrom(dir.get().toString())), "addchdir_np");
          }
          int n = passFds.size();
          if (n > 0) { // 3, 4, ...: each first above every source (no source is overwritten), then down into place
            int above = Math.max(Math.max(outFd, 2 + n), passFds.stream().mapToInt(Integer::intValue).max().getAsInt()) + 1;
            for (int i = 0; i < n; i++) {
              check((int) addDup2.invokeExact(actions, passFds.get(i).intValue(), above + i), "adddup2 socket " + i);
            }
            for (int i = 0; i < n; i++) {
              check((int) addDup2.invokeExact(actions, above + i, 3 + i), "adddup2 socket " + i); // dup2 clears close-on-exec
            }
          }
          check((int) addCloseFrom.invokeExact(actions, 3 + n), "addclosefrom_np"); // the JVM's descriptors, sockets, locks
          MemorySegment pidOut = arena.allocate(JAVA_INT);
          MemorySegment envp = strings(arena, env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
          int r = (int) spawn.invokeExact(pidOut, arena.allocateFrom(executable.toString()), actions, attr, strings(arena, argv), envp);
          if (r == ENOEXEC) { // a script without #!: run it with sh, as execvp (and so the JDK's spawn) does
            List<String> sh = new java.util.ArrayList<>(List.of("sh", executable.toString()));
            sh.addAll(argv.subList(1, argv.size()));
            r = (int) spawn.invokeExact(pidOut, arena.allocateFrom("/bin/sh"), actions, attr, strings(arena, sh), envp);
          }
          if (r != 0) {
            throw new IOException("posix_spawn of " + executable + dir.map(d -> " in " + d).orElse("") + " failed: " + Libc.describe(r));
          }
          pid = pidOut.get(JAVA_INT, 0);
          ExitWatch.pending(pid); // ours to reap: the orphan reaper keeps off
        } finally {
          int ignored = (int) actionsDestroy.invokeExact(actions);
        }
      } finally {
        int ignored = (int) attrDestroy.invokeExact(attr);
        if (outFd >= 0) {
          int closed = (int) close.invokeExact(outFd);
        }
      }
    }
    NativeSpawns.counted();
    // Nothing reaps the child before the watch below, so its handle is there even if it has exited already.
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    if (handle.isEmpty()) { // no /proc, or SIGCHLD ignored (the kernel reaps at once): it cannot be supervised
      reapNow(pid);
      throw new IOException("process " + pid + " cannot be seen in /proc right after its start (is /proc mounted, and SIGCHLD"
          + " not ignored?); it was killed");
    }
    CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
    try {
      pidfds.reap(pid, (code, status) -> {
        ExitWatch.reaped(pid);
        exit.complete(NativeSpawns.decode(code, status));
      });
    } catch (IOException | RuntimeException e) {
      reapNow(pid);
      throw new IOException("cannot watch the exit of process " + pid + " (" + e.getMessage() + "); it was killed", e);
    }
    return new NativeSpawns.Spawned(pid, handle.get(), exit);
  }

  /** SIGKILL and a blocking wait: a child whose exit cannot be watched must not run, nor stay a zombie. */
  private void reapNow(int pid) throws Throwable {
    int killed = (int) kill.invokeExact(pid, SIGKILL);
    try (Arena arena = Arena.ofConfined()) {
      int waited = (int) waitid.invokeExact(P_PID, pid, arena.allocate(128, 8), WEXITED);
    }
    ExitWatch.reaped(pid);
  }

  private static MemorySegment strings(Arena arena, List<String> values) {
    MemorySegment array = arena.allocate(ADDRESS, values.size() + 1L);
    for (int i = 0; i < values.size(); i++) {
      array.setAtIndex(ADDRESS, i, arena.allocateFrom(values.get(i)));
    }
    array.setAtIndex(ADDRESS, values.size(), MemorySegment.NULL);
    return array;
  }

  private void check(int r, String what) throws IOException {
    if (r != 0) {
      throw new IOException(what + " failed: " + Libc.describe(r));
    }
  }


}
