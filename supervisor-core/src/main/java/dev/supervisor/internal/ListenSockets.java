package dev.supervisor.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The listening sockets of socket activation, bound by the supervisor so that they outlive every
 * run of the child that accepts on them. The socket is made with {@code socket(2)},
 * {@code bind(2)} and {@code listen(2)} through the FFM API ({@code SocketsFfm}, JDK 22+): the
 * JDK's own channels hide their descriptor, and a descriptor number is what {@code posix_spawn}
 * passes to the child as 3, 4, ... Each is close-on-exec here and numbered 3 or above, so no
 * other child inherits it and the spawn's standard streams never overwrite it.
 *
 * <p>TCP sockets get {@code SO_REUSEADDR} (a restarted supervisor binds again at once while old
 * connections linger in TIME_WAIT) and IPv6 ones {@code IPV6_V6ONLY}. A unix socket's file is
 * created 0600 by the bind itself ({@code fchmod} of the socket first: no window, and no chmod
 * of a path someone could swap); its directory must be the supervisor's user's or root's, and
 * sticky if others may write it; a stale file of a socket nobody listens on any more, owned by
 * the supervisor's user, is replaced; anything else at that path is an error. The backlog is
 * {@link #BACKLOG} (the kernel caps it at {@code net.core.somaxconn}): connections that arrive
 * while no instance accepts (a restart) wait there, none is refused.
 */
public final class ListenSockets {
  /** The listen backlog asked for. */
  public static final int BACKLOG = 4096;
  private static final int S_IFMT = 0170000, S_IFSOCK = 0140000, S_ISVTX = 01000, GROUP_OR_OTHER_WRITE = 022;

  /** {@code socket/bind/listen/close} as this class uses them. */
  interface Binder {
    /** A socket of the address's family, numbered 3 or above, close-on-exec, bound (a unix one 0600), not listening yet. */
    int bind(ListenAddress address) throws IOException;

    /** Starts listening with {@code backlog}. */
    void listen(int fd, int backlog) throws IOException;

    void close(int fd);

    /** A copy (3 or above, close-on-exec) of descriptor {@code fd} of {@code pid}, checked to listen on {@code address}. */
    int take(long pid, int fd, ListenAddress address) throws IOException;

    /** Whether a process listens on the unix socket at {@code path} (a non-blocking connect: never waits). */
    boolean listening(Path path) throws IOException;
  }

  /** One socket the supervisor holds. Threadsafe; {@link #close} once. */
  public static final class Bound implements AutoCloseable {
    private final ListenAddress address;
    private final int fd;
    private final Object fileKey;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Bound(ListenAddress address, int fd, Object fileKey) {
      this.address = address;
      this.fd = fd;
      this.fileKey = fileKey;
    }

    public ListenAddress address() {
      return address;
    }

    /** The descriptor in this process; valid until {@link #close}. */
    public int fd() {
      return fd;
    }

    /** Closes the descriptor and removes a unix socket's file, if it is still the one bound here. */
    @Override
    public void close() {
      close(true);
    }

    /**
     * Closes the descriptor; with {@code removeFile}, also a unix socket's file if it is still the
     * one bound here (not at a hand-over: the children that go on listening keep their path).
     */
    public void close(boolean removeFile) {
      if (!closed.compareAndSet(false, true)) {
        return;
      }
      binder().ifPresent(b -> b.close(fd));
      if (removeFile && address.unix() && fileKey != null) {
        removeIfOurs(address.path(), fileKey);
      }
    }

    @Override
    public String toString() {
      return address + " (fd " + fd + ")";
    }
  }

  private record Choice(Optional<Binder> binder, String why) {}

  private static final class Holder {
    static final Choice CHOICE = load();
  }

  private ListenSockets() {}

  private static Choice load() {
    if (Runtime.version().feature() < 22) {
      return new Choice(Optional.empty(), "this is JDK " + Runtime.version().feature() + ", and binding a socket whose"
          + " descriptor can be passed on needs the FFM API of JDK 22 or later");
    }
    try {
      return new Choice(Optional.of((Binder) Class.forName("dev.supervisor.internal.SocketsFfm").getDeclaredConstructor()
          .newInstance()), "");
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite ? ite.getCause() : e;
      return new Choice(Optional.empty(), "socket(2) through the FFM API could not be loaded (" + cause + "); a jar built on"
          + " JDK 17 lacks it, and JDK 24+ wants --enable-native-access=ALL-UNNAMED");
    }
  }

  private static Optional<Binder> binder() {
    return Holder.CHOICE.binder();
  }

  /** Why sockets cannot be bound here, if they cannot. */
  public static Optional<String> unavailable() {
    return binder().isPresent() ? Optional.empty() : Optional.of(Holder.CHOICE.why());
  }

  /**
   * Binds and listens on {@code address}.
   *
   * @throws IOException naming the address and the system's reason (in use, no permission for a
   *     port below 1024, no such address here, a file or an unsafe directory in the way)
   */
  public static Bound listen(ListenAddress address) throws IOException {
    Binder b = binder().orElseThrow(() -> new IOException("cannot listen on " + address.address() + ": " + Holder.CHOICE.why()));
    if (address.unix()) {
      try {
        checkDirectory(address);
        clearStale(b, address);
      } catch (IOException e) {
        if (e.getMessage() != null && e.getMessage().startsWith("cannot listen")) {
          throw e;
        }
        throw new IOException("cannot listen on " + address.address() + ": " + OwnedDirectories.reason(e, address.path()), e);
      }
    }
    int fd = b.bind(address);
    Object key = null;
    try {
      if (address.unix()) {
        key = socketFileKey(address.path());
      }
      b.listen(fd, BACKLOG);
      return new Bound(address, fd, key);
    } catch (IOException | RuntimeException e) {
      b.close(fd);
      if (key != null) {
        removeIfOurs(address.path(), key);
      }
      if (e instanceof IOException io && io.getMessage() != null && io.getMessage().startsWith("cannot listen")) {
        throw io;
      }
      throw new IOException("cannot listen on " + address.address() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The socket a live process got from an earlier supervisor (a hand-over, or a crash with its
   * children adopted) as descriptor {@code fd}, taken back with {@code pidfd_getfd(2)} so that it
   * outlives that process, as if this supervisor had bound it.
   *
   * @throws IOException why it cannot be had (another kernel, no right to ptrace it, not the socket expected)
   */
  public static Bound takeFrom(long pid, int fd, ListenAddress address) throws IOException {
    Binder b = binder().orElseThrow(() -> new IOException(Holder.CHOICE.why()));
    int copy = b.take(pid, fd, address);
    Object key = null;
    if (address.unix()) {
      try {
        key = socketFileKey(address.path());
      } catch (IOException notASocket) {
        // removed, or something else is there now: not ours to remove at the end
      }
    }
    return new Bound(address, copy, key);
  }

  /** {@code sh -c 'LISTEN_PID=$$ ...; exec "$@"'}, the same pid as the program, before it when there are sockets to pass. */
  static List<String> withListenPid(List<String> argv, List<Integer> fds) {
    if (fds.isEmpty()) {
      return argv;
    }
    List<String> out = new ArrayList<>(argv.size() + 4);
    out.add(ProcessGroups.tool("sh").orElse("/bin/sh"));
    out.add("-c");
    out.add(LISTEN_PID_SCRIPT);
    out.add("sh");
    out.addAll(argv);
    return out;
  }

  /** Sets LISTEN_PID to its own pid, then is the program (same pid): only the spawned process knows its pid. */
  static final String LISTEN_PID_SCRIPT = "LISTEN_PID=$$; export LISTEN_PID; exec \"$@\"";

  /** Why a child with sockets cannot start on the JDK's spawn. */
  static String needsNativeSpawn(String child, String why) {
    return "child '" + child + "' has sockets to pass (socket activation), and only the JDK 22+ posix_spawn layer can pass"
        + " descriptors (the JDK's own spawn closes every inherited one); here " + why + ": run the supervisor on JDK 22+"
        + " with --enable-native-access=ALL-UNNAMED, or remove \"sockets\"";
  }

  /**
   * The socket's directory must be the supervisor's user's or root's, and sticky if group or
   * others may write it: elsewhere another user could swap the file between two steps here.
   */
  private static void checkDirectory(ListenAddress a) throws IOException {
    Path dir = a.path().getParent();
    int uid;
    int mode;
    try {
      uid = (Integer) Files.getAttribute(dir, "unix:uid");
      mode = (Integer) Files.getAttribute(dir, "unix:mode");
    } catch (NoSuchFileException e) {
      throw new IOException("cannot listen on " + a.address() + ": its directory " + dir + " does not exist; create it");
    }
    long me = Capabilities.self().uid();
    if (uid != 0 && uid != me) {
      throw new IOException("cannot listen on " + a.address() + ": its directory " + dir + " belongs to uid " + uid
          + ", who could replace the socket; use a directory of uid " + me + " or root");
    }
    if ((mode & GROUP_OR_OTHER_WRITE) != 0 && (mode & S_ISVTX) == 0) {
      throw new IOException("cannot listen on " + a.address() + ": its directory " + dir + " is writable by others and not"
          + " sticky (mode " + Integer.toOctalString(mode & 07777) + "), so anyone could replace the socket; use a private"
          + " directory");
    }
  }

  /** A socket file nobody listens on, left by a process of ours, is removed; anything else in the way is an error. */
  private static void clearStale(Binder b, ListenAddress a) throws IOException {
    Path path = a.path();
    int mode;
    int owner;
    try {
      mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      owner = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    }
    if ((mode & S_IFMT) != S_IFSOCK) {
      BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      throw new IOException("cannot listen on " + a.address() + ": a " + (attrs.isDirectory() ? "directory" : attrs.isSymbolicLink()
          ? "symbolic link" : attrs.isOther() ? "special file" : "file") + " is in the way; remove it or choose another path");
    }
    if (b.listening(path)) {
      throw new IOException("cannot listen on " + a.address() + ": another process listens there; stop it or choose another path");
    }
    if (owner != Capabilities.self().uid()) {
      throw new IOException("cannot listen on " + a.address() + ": a stale socket of uid " + owner + " is in the way; remove"
          + " it or choose another path");
    }
    Files.deleteIfExists(path); // bound once, nobody listens: the file a process of ours left
  }

  /** The file key of the socket file at {@code path}; an error if it is not a socket. */
  private static Object socketFileKey(Path path) throws IOException {
    int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    if ((mode & S_IFMT) != S_IFSOCK) {
      throw new IOException(path + " is not a socket");
    }
    return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
  }

  private static void removeIfOurs(Path path, Object key) {
    try {
      if (key.equals(Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey())) {
        Files.deleteIfExists(path);
      }
    } catch (IOException gone) {
      // removed already, or its directory went away: nothing of ours is left there
    }
  }
}
