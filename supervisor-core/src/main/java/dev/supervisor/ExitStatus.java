package dev.supervisor;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How a run of a child ended: an exit code, a signal, a failed start, or unknown.
 *
 * <p>The JDK reports a death by signal as exit value {@code 128 + signal}; values 129..192 are
 * therefore read as signals ({@code 137} is {@code signal KILL}) by the JDK 17 process layer, where
 * a program that calls {@code exit(137)} itself is indistinguishable from one killed by SIGKILL, as
 * in any shell. The JDK 22+ layer reads the exact wait status ({@code waitid}): there
 * {@code exit(137)} is {@code exit code 137}, and a core dump is {@link #coreDumped}.
 *
 * @param kind what happened
 * @param code the exit code, when {@code kind == EXITED}
 * @param signal the signal name without {@code SIG} ({@code "KILL"}), when {@code kind == SIGNALED}
 * @param requested true when the supervisor asked the child to stop (never a failure)
 * @param reason a human explanation for failed starts and supervisor-initiated kills
 * @param coreDumped true when the signal that ended it also dumped core (seen only by the JDK 22+
 *     process layer, which reads the exact wait status; the JDK's exit value does not carry it)
 */
public record ExitStatus(Kind kind, OptionalInt code, Optional<String> signal, boolean requested, Optional<String> reason,
    boolean coreDumped) {

  /** What ended the run. */
  public enum Kind {
    EXITED,
    SIGNALED,
    START_FAILED,
    /** The exit was not observed (for example an adopted orphan). */
    UNKNOWN
  }

  private static final String[] SIGNALS = {
    null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
    "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM",
    "PROF", "WINCH", "IO", "PWR", "SYS"
  };

  public ExitStatus {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(signal, "signal");
    Objects.requireNonNull(reason, "reason");
    if (coreDumped && kind != Kind.SIGNALED) {
      throw new IllegalArgumentException("only a death by signal dumps core, not " + kind);
    }
  }

  /** A status without a core dump (every kind but a signal that dumped core). */
  public ExitStatus(Kind kind, OptionalInt code, Optional<String> signal, boolean requested, Optional<String> reason) {
    this(kind, code, signal, requested, reason, false);
  }

  /** A normal exit with {@code code}. */
  public static ExitStatus exited(int code) {
    return new ExitStatus(Kind.EXITED, OptionalInt.of(code), Optional.empty(), false, Optional.empty());
  }

  /** A death by the named signal ({@code "KILL"}, {@code "TERM"}, or {@code "SIG42"} for unnamed ones). */
  public static ExitStatus signaled(String signal) {
    return new ExitStatus(Kind.SIGNALED, OptionalInt.empty(), Optional.of(signal), false, Optional.empty());
  }

  /** A death by the named signal that also dumped core ({@code "SEGV"}, {@code "QUIT"}, {@code "ABRT"}...). */
  public static ExitStatus dumped(String signal) {
    return new ExitStatus(Kind.SIGNALED, OptionalInt.empty(), Optional.of(signal), false, Optional.empty(), true);
  }

  /** The process could not be started; {@code reason} says why and how to fix it. */
  public static ExitStatus startFailed(String reason) {
    return new ExitStatus(Kind.START_FAILED, OptionalInt.empty(), Optional.empty(), false, Optional.of(reason));
  }

  /** The run ended but its status could not be observed. */
  public static ExitStatus unknown(String reason) {
    return new ExitStatus(Kind.UNKNOWN, OptionalInt.empty(), Optional.empty(), false, Optional.of(reason));
  }

  /** Reads a JDK {@link Process#exitValue()}: 129..192 are deaths by signal (see the class comment). */
  public static ExitStatus fromExitValue(int value) {
    if (value > 128 && value <= 128 + 64) {
      return signaled(signalName(value - 128));
    }
    return exited(value);
  }

  /** The name of a Linux signal number without {@code SIG}. */
  public static String signalName(int number) {
    return number > 0 && number < SIGNALS.length ? SIGNALS[number] : "SIG" + number;
  }

  /** A copy marked as requested by the supervisor (an operator stop, a strategy stop, a shutdown). */
  public ExitStatus asRequested() {
    return new ExitStatus(kind, code, signal, true, reason, coreDumped);
  }

  /** A copy carrying {@code reason} (for example why the supervisor killed the child). */
  public ExitStatus withReason(String reason) {
    return new ExitStatus(kind, code, signal, requested, Optional.of(reason), coreDumped);
  }

  /** True unless the child exited with code 0 or was stopped on request. */
  public boolean isFailure() {
    if (requested) {
      return false;
    }
    return !(kind == Kind.EXITED && code.orElse(-1) == 0);
  }

  /** {@code "exit code 3"}, {@code "signal KILL"}, {@code "start failed: ..."}; plus the reason and whether requested. */
  @Override
  public String toString() {
    String text;
    switch (kind) {
      case EXITED:
        text = "exit code " + code.getAsInt();
        break;
      case SIGNALED:
        text = "signal " + signal.get() + (coreDumped ? " (core dumped)" : "");
        break;
      case START_FAILED:
        return "start failed: " + reason.orElse("unknown reason");
      default:
        text = "unknown exit";
    }
    if (reason.isPresent()) {
      text += " (" + reason.get() + ")";
    }
    return requested ? text + ", requested" : text;
  }
}
