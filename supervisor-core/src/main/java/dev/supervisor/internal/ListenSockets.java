package dev.supervisor.internal;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The listening sockets of socket activation, bound by the supervisor so that they outlive every
 * run of the child that accepts on them. The socket is made with {@code socket(2)},
 * {@code bind(2)} and {@code listen(2)} through the FFM API ({@code SocketsFfm}, JDK 22+): the
 * JDK's own channels hide their descriptor, and a descriptor number is what {@code posix_spawn}
 * passes to the child as 3, 4, ... Each is close-on-exec here, so no other child inherits it.
 *
 * <p>TCP sockets get {@code SO_REUSEADDR} (a restarted supervisor binds again at once while old
 * connections linger in TIME_WAIT) and IPv6 ones {@code IPV6_V6ONLY}. A unix socket's file is
 * made 0600 before it listens, so nobody else can connect in between; a stale file of a socket
 * nobody listens on any more is replaced, anything else at that path is an error. The backlog is
 * {@link #BACKLOG} (the kernel caps it at {@code net.core.somaxconn}): connections that arrive
 * while no instance accepts (a restart) wait there, none is refused.
 */
public final class ListenSockets {
  /** The listen backlog asked for. */
  public static final int BACKLOG = 4096;
  private static final int S_IFMT = 0170000, S_IFSOCK = 0140000;

  /** {@code socket/bind/listen/close} as this class uses them. */
  interface Binder {
    /** A socket of the address's family, bound to it, close-on-exec, not listening yet. */
    int bind(ListenAddress address) throws IOException;

    /** Starts listening with {@code backlog}. */
    void listen(int fd, int backlog) throws IOException;

    void close(int fd);

    /** Copies of descriptors 3, 4, ... of {@code pid}, checked to be listening on {@code addresses}. */
    java.util.List<Integer> take(long pid, java.util.List<ListenAddress> addresses) throws IOException;
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
        try {
          Object now = Files.readAttributes(address.path(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
          if (fileKey.equals(now)) {
            Files.deleteIfExists(address.path());
          }
        } catch (IOException gone) {
          // removed already, or its directory went away: nothing of ours is left there
        }
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
   *     port below 1024, no such address here, a file in the way)
   */
  public static Bound listen(ListenAddress address) throws IOException {
    Binder b = binder().orElseThrow(() -> new IOException("cannot listen on " + address.address() + ": " + Holder.CHOICE.why()));
    if (address.unix()) {
      clearStale(address.path());
    }
    int fd = b.bind(address);
    try {
      Object key = null;
      if (address.unix()) {
        Files.setPosixFilePermissions(address.path(), PosixFilePermissions.fromString("rw-------"));
        key = Files.readAttributes(address.path(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
      }
      b.listen(fd, BACKLOG);
      return new Bound(address, fd, key);
    } catch (IOException | RuntimeException e) {
      b.close(fd);
      throw e instanceof IOException io && io.getMessage() != null && io.getMessage().startsWith("cannot listen")
          ? io : new IOException("cannot listen on " + address.address() + ": " + e.getMessage(), e);
    }
  }

  /** {@code sh -c 'LISTEN_PID=$$ ...; exec "$@"'}, the same pid as the program, before it when there are sockets to pass. */
  static java.util.List<String> withListenPid(java.util.List<String> argv, java.util.List<Integer> fds) {
    if (fds.isEmpty()) {
      return argv;
    }
    java.util.List<String> out = new java.util.ArrayList<>(argv.size() + 4);
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
   * The sockets a live process got from an earlier supervisor (a hand-over, or a crash with its
   * children adopted), taken back from it with {@code pidfd_getfd(2)} so that this supervisor's
   * new runs share them instead of binding again (which would fail: the port is held).
   *
   * @throws IOException why they cannot be had (another kernel, no right to ptrace it, not the sockets expected)
   */
  public static java.util.List<Bound> takeFrom(long pid, java.util.List<ListenAddress> addresses) throws IOException {
    Binder b = binder().orElseThrow(() -> new IOException(Holder.CHOICE.why()));
    java.util.List<Integer> fds = b.take(pid, addresses);
    java.util.List<Bound> out = new java.util.ArrayList<>();
    for (int i = 0; i < fds.size(); i++) {
      ListenAddress a = addresses.get(i);
      Object key = null;
      if (a.unix()) {
        try {
          key = Files.readAttributes(a.path(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException gone) {
          // its file was removed: the socket still listens, reachable only by the children that hold it
        }
      }
      out.add(new Bound(a, fds.get(i), key));
    }
    return java.util.List.copyOf(out);
  }

  /** A socket file nobody listens on is removed; anything else in the way is an error that names it. */
  private static void clearStale(Path path) throws IOException {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    }
    int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    if ((mode & S_IFMT) != S_IFSOCK) {
      throw new IOException("cannot listen on unix:" + path + ": a " + (attrs.isDirectory() ? "directory" : attrs.isSymbolicLink()
          ? "symbolic link" : attrs.isOther() ? "special file" : "file") + " is in the way; remove it or choose another path");
    }
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(path));
      throw new IOException("cannot listen on unix:" + path + ": another process listens there; stop it or choose another path");
    } catch (ConnectException stale) {
      Files.deleteIfExists(path); // bound once, nobody listens: the file a dead process left
    }
  }
}
