package dev.supervisor.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Linux Landlock for the calling thread: {@code no_new_privs} and a ruleset restrict the thread
 * and every process it creates afterwards, not the rest of the JVM (see PLATFORM.md). Needs the
 * FFM API, so it works on JDK 22+ only ({@code LandlockFfm}, compiled at release 22); on JDK 17
 * {@link #unavailable()} says so.
 */
public final class Landlock {
  private static final Logger log = LoggerFactory.getLogger(Landlock.class);

  /** Access rights of {@code landlock_path_beneath_attr.allowed_access}. */
  public static final long EXECUTE = 1L, WRITE_FILE = 1L << 1, READ_FILE = 1L << 2, READ_DIR = 1L << 3,
      REMOVE_DIR = 1L << 4, REMOVE_FILE = 1L << 5, MAKE_CHAR = 1L << 6, MAKE_DIR = 1L << 7, MAKE_REG = 1L << 8,
      MAKE_SOCK = 1L << 9, MAKE_FIFO = 1L << 10, MAKE_BLOCK = 1L << 11, MAKE_SYM = 1L << 12, REFER = 1L << 13,
      TRUNCATE = 1L << 14, IOCTL_DEV = 1L << 15;
  /** Rights that apply to a file (not a directory); a rule on a file may hold only these. */
  public static final long FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV;
  public static final long READ = READ_FILE | READ_DIR;
  public static final long WRITE = READ | WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | MAKE_SOCK
      | MAKE_FIFO | MAKE_SYM | REFER | TRUNCATE | IOCTL_DEV;
  public static final long RUN = READ | EXECUTE;
  /** {@code handled_access_net}: TCP bind and connect (ABI 4). */
  public static final long NET_BIND_TCP = 1L, NET_CONNECT_TCP = 1L << 1;
  /** {@code scoped}: abstract Unix sockets (ABI 6). */
  public static final long SCOPE_ABSTRACT_UNIX_SOCKET = 1L;

  /** One rule: {@code access} beneath {@code path} (or on the file {@code path}). */
  public record Rule(Path path, long access) {}

  /** The native calls, implemented with the FFM API on JDK 22+. */
  public interface Native {
    /** The kernel's Landlock ABI version, or a negative errno. */
    int abi();

    /** {@code prctl(PR_SET_NO_NEW_PRIVS, 1)} on the calling thread. */
    void noNewPrivs() throws IOException;

    /** Creates a ruleset, adds the rules and restricts the calling thread. */
    void restrict(long handledFs, long handledNet, long scoped, int rulesetAttrSize, List<Rule> rules) throws IOException;
  }

  private static final Native NATIVE = load();
  private static final int ABI = NATIVE == null ? 0 : Math.max(0, NATIVE.abi());

  private Landlock() {}

  private static Native load() {
    if (Runtime.version().feature() < 22) {
      return null;
    }
    try {
      return (Native) Class.forName("dev.supervisor.internal.LandlockFfm").getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      log.warn("Landlock through the FFM API could not be loaded ({}): permissions cannot be enforced; "
          + "run on a jar built on JDK 22+ with --enable-native-access=ALL-UNNAMED", e.toString());
      return null;
    }
  }

  /** The Landlock ABI this JVM can use: 0 when none. */
  public static int abi() {
    return ABI;
  }

  /** Why Landlock cannot be used here, or empty when it can. */
  public static Optional<String> unavailable() {
    if (Runtime.version().feature() < 22) {
      return Optional.of("Landlock needs the FFM API of JDK 22+ (this is JDK " + Runtime.version().feature() + ")");
    }
    if (NATIVE == null) {
      return Optional.of("Landlock's FFM binding is missing from this build (build on JDK 22+) or native access is denied");
    }
    if (ABI < 1) {
      return Optional.of("the kernel has no Landlock (landlock_create_ruleset failed; needs Linux 5.13+ with lsm=landlock)");
    }
    return Optional.empty();
  }

  /** The filesystem rights this ABI handles. */
  public static long handledFs(int abi) {
    long all = EXECUTE | WRITE_FILE | READ_FILE | READ_DIR | REMOVE_DIR | REMOVE_FILE | MAKE_CHAR | MAKE_DIR | MAKE_REG
        | MAKE_SOCK | MAKE_FIFO | MAKE_BLOCK | MAKE_SYM;
    if (abi >= 2) {
      all |= REFER;
    }
    if (abi >= 3) {
      all |= TRUNCATE;
    }
    if (abi >= 5) {
      all |= IOCTL_DEV;
    }
    return all;
  }

  /**
   * Restricts the calling thread for good: {@code no_new_privs} when asked (or when needed because
   * the process lacks CAP_SYS_ADMIN), then the rules; a file rule keeps only file rights; rights the
   * ABI does not know are dropped.
   *
   * @param restrictFs whether the filesystem is restricted (else only the network)
   * @param denyNet whether TCP and abstract Unix sockets are denied
   * @throws IOException when a path cannot be opened or a call fails, with the errno
   */
  public static void restrictCurrentThread(boolean noNewPrivs, boolean restrictFs, boolean denyNet, List<Rule> rules)
      throws IOException {
    Optional<String> why = unavailable();
    if (why.isPresent()) {
      throw new IOException(why.get());
    }
    if (noNewPrivs || !Capabilities.self().has(Capabilities.SYS_ADMIN)) {
      NATIVE.noNewPrivs();
    }
    long fs = restrictFs ? handledFs(ABI) : 0;
    long net = denyNet && ABI >= 4 ? NET_BIND_TCP | NET_CONNECT_TCP : 0;
    long scoped = denyNet && ABI >= 6 ? SCOPE_ABSTRACT_UNIX_SOCKET : 0;
    int size = ABI >= 6 ? 24 : ABI >= 4 ? 16 : 8;
    List<Rule> fitted = restrictFs ? rules.stream().map(r -> fit(r, fs)).toList() : List.of();
    NATIVE.restrict(fs, net, scoped, size, fitted);
  }

  private static Rule fit(Rule r, long handled) {
    long access = r.access() & handled;
    if (!Files.isDirectory(r.path())) {
      access &= FILE_RIGHTS;
    }
    return new Rule(r.path(), access);
  }
}
