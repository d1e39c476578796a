package dev.supervisor.persist;

import java.time.Instant;
import java.util.Optional;

/** Another live supervisor holds the PID lock of this home. Carries the owner, when the lock file says who. */
public final class AlreadyRunningException extends IllegalStateException {
  private static final long serialVersionUID = 1L;
  private final transient Optional<PidLock.Owner> owner;

  AlreadyRunningException(Optional<PidLock.Owner> owner, java.nio.file.Path file) {
    super(owner.map(o -> "supervisor already running (pid " + o.signature().pid() + ", since " + o.startedAt() + ")")
        .orElse("supervisor already running (lock " + file + " is held, its content unreadable)"));
    this.owner = owner;
  }

  /** Who holds the lock, if its file is readable. */
  public Optional<PidLock.Owner> owner() {
    return owner;
  }

  /** The owner's pid, if known. */
  public Optional<Long> ownerPid() {
    return owner.map(o -> o.signature().pid());
  }

  /** When the owner started, if known. */
  public Optional<Instant> since() {
    return owner.map(PidLock.Owner::startedAt);
  }
}
