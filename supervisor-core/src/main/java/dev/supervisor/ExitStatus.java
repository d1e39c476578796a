package dev.supervisor;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How a run of a child ended: an exit code, a signal, a failed start, or unknown.
 *
 * <p>The JDK reports a death by signal as exit value {@code 128 + signal}; values 129..192 are
 * therefore read as signals ({@code 137} is {@code signal KILL}). A program that calls
 * {@code exit(137)} itself is indistinguishable from one killed by SIGKILL, as in any shell.
 *
 * @param kind what happened
 * @param code the exit code, when {@code kind == EXITED}
 * @param signal the signal name without {@code SIG} ({@code "KILL"}), when {@code kind == SIGNALED}
 * @param requested true when the supervisor asked the child to stop (never a failure)
 * @param reason a human explanation for failed starts and supervisor-initiated kills
 */
public record ExitStatus(Kind kind, OptionalInt code, Optional<String> signal, boolean requested, Optional<String> reason) {

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
  }

  /** A normal exit with {@code code}. */
  public static ExitStatus exited(int code) {
    return new ExitStatus(Kind.EXITED, OptionalInt.of(code), Optional.empty(), false, Optional.empty());
  }

  /** A death by the named signal ({@code "KILL"}, {@code "TERM"}, or {@code "SIG42"} for unnamed ones). */
  public static ExitStatus signaled(String signal) {
    return new ExitStatus(Kind.SIGNALED, OptionalInt.empty(), Optional.of(signal), false, Optional.empty());
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
    return new ExitStatus(kind, code, signal, true, reason);
  }

  /** A copy carrying {@code reason} (for example why the supervisor killed the child). */
  public ExitStatus withReason(String reason) {
    return new ExitStatus(kind, code, signal, requested, Optional.of(reason));
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
        text = "signal " + signal.get();
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
