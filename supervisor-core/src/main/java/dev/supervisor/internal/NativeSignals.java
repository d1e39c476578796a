package dev.supervisor.internal;

import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signals without a process: {@code kill(2)} through the FFM API ({@code KillFfm}, compiled at
 * release 22) where the JDK has it, so that a process-group signal is a system call rather than
 * a {@code kill} process (3-7 ms each, see PLATFORM.md). The first part of the JDK 22+ process
 * layer; chosen once per JVM by {@code -Dsupervisor.processLayer}:
 * <ul>
 *   <li>{@code auto} (default): FFM on JDK 22+ when it loads (else the JDK 17 way, with one WARN
 *       saying why);
 *   <li>{@code jdk}: the JDK 17 way on every JDK ({@code kill -s SIG -- -PGID});
 *   <li>{@code ffm}: FFM or nothing: where it cannot be had, every spawn fails with the reason,
 *       rather than run a layer the operator did not ask for.
 * </ul>
 */
public final class NativeSignals {
  private static final Logger log = LoggerFactory.getLogger(NativeSignals.class);
  /** The system property that picks the process layer. */
  public static final String PROPERTY = "supervisor.processLayer";
  /** {@code ESRCH}: no such process or process group. */
  static final int ESRCH = 3;

  /** {@code kill(2)}: 0 when sent, else the negative errno. */
  interface Kill {
    int kill(long pid, int signal);
  }

  /** What the property and the JDK give: the native kill, or why not (and whether that refuses spawns). */
  record Choice(Optional<Kill> kill, String layer, Optional<String> refusal, Optional<String> warning) {}

  private static final Choice CHOICE = choose(System.getProperty(PROPERTY, "auto"), Runtime.version().feature(),
      System.getProperty("os.arch", ""), NativeSignals::load);
  private static final AtomicLong SENT = new AtomicLong();
  private static final boolean FORCED = System.getProperty(PROPERTY, "auto").trim().equalsIgnoreCase("ffm");

  static {
    CHOICE.warning().ifPresent(w -> log.warn("{}", w));
    CHOICE.refusal().ifPresent(r -> log.error("{}", r));
  }

  private NativeSignals() {}

  /** The decision, as a function of the property's value, the JDK's feature version, the architecture and the loader. */
  static Choice choose(String mode, int jdk, String arch, Supplier<Kill> loader) {
    String m = mode.trim().toLowerCase(Locale.ROOT);
    switch (m) {
      case "jdk":
        return new Choice(Optional.empty(), "jdk (kill command)", Optional.empty(), Optional.empty());
      case "auto":
      case "ffm":
        break;
      default:
        return new Choice(Optional.empty(), "none", Optional.of("-D" + PROPERTY + "=" + mode
            + " is not a process layer: use auto (the default), jdk or ffm"), Optional.empty());
    }
    String why;
    if (jdk < 22) {
      why = "kill(2) through the FFM API needs JDK 22 or later; this is JDK " + jdk;
    } else if (!(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
      why = "the signal numbers are known here for x86_64 and aarch64 Linux only; this is " + arch;
    } else {
      try {
        return new Choice(Optional.of(loader.get()), "ffm (kill(2) through the FFM API)", Optional.empty(), Optional.empty());
      } catch (RuntimeException | LinkageError e) {
        why = "kill(2) through the FFM API could not be loaded (" + e + "); a jar built on JDK 17 lacks it, and JDK 24+"
            + " wants --enable-native-access=ALL-UNNAMED";
      }
    }
    if (m.equals("ffm")) {
      return new Choice(Optional.empty(), "none", Optional.of("-D" + PROPERTY + "=ffm: " + why
          + ": run on JDK 22+ with a jar built there, or drop the option"), Optional.empty());
    }
    return new Choice(Optional.empty(), "jdk (kill command)", Optional.empty(),
        jdk < 22 ? Optional.empty() : Optional.of("process layer: " + why + "; signals go through the kill command"));
  }

  private static Kill load() {
    try {
      return (Kill) Class.forName("dev.supervisor.internal.KillFfm").getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e.toString(), e);
    }
  }

  /** Whether signals go through {@code kill(2)}. */
  public static boolean active() {
    return CHOICE.kill().isPresent();
  }

  /** The process layer in words: {@code ffm (kill(2) through the FFM API)}, {@code jdk (kill command)} or {@code none}. */
  public static String layer() {
    return CHOICE.layer();
  }

  /** Why no child may be spawned: the layer forced by the property cannot be had here. */
  public static Optional<String> refusal() {
    return CHOICE.refusal();
  }

  /** Whether {@code -Dsupervisor.processLayer=ffm} asks for the FFM layer or nothing. */
  static boolean forced() {
    return FORCED;
  }

  /** How many signals went through {@code kill(2)} in this JVM (for tests and benchmarks). */
  public static long sent() {
    return SENT.get();
  }

  /** {@code kill(pid, signal)}; a negative pid names a process group. 0 when sent, else the negative errno. Only when {@link #active}. */
  static int kill(long pid, String signal) {
    int r = CHOICE.kill().orElseThrow(() -> new IllegalStateException("no native kill here")).kill(pid, number(signal));
    if (r == 0) {
      SENT.incrementAndGet();
    }
    return r;
  }

  /** The Linux number of a signal name ({@code TERM}, {@code SIGTERM}, any case). */
  static int number(String signal) {
    String s = signal.toUpperCase(Locale.ROOT);
    s = s.startsWith("SIG") ? s.substring(3) : s;
    return switch (s) {
      case "HUP" -> 1;
      case "INT" -> 2;
      case "QUIT" -> 3;
      case "KILL" -> 9;
      case "USR1" -> 10;
      case "USR2" -> 12;
      case "TERM" -> 15;
      case "CONT" -> 18;
      case "STOP" -> 19;
      default -> throw new IllegalArgumentException("unknown signal " + signal);
    };
  }
}
