package dev.supervisor.ipc.control;

import dev.supervisor.ipc.Uids;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** Roles granted per uid. The uid the supervisor runs as is ADMIN unless configured otherwise. Immutable. */
public final class Roles {
  private final Map<Long, Role> byUid;

  private Roles(Map<Long, Role> byUid) {
    this.byUid = Map.copyOf(byUid);
  }

  /** Only the supervisor's own uid, as ADMIN. */
  public static Roles ownerOnly() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The role of {@code uid}, if it has one (without one it may not connect). */
  public Optional<Role> roleOf(long uid) {
    return Optional.ofNullable(byUid.get(uid));
  }

  /** {@code roles(uid 0 ADMIN, uid 1000 VIEWER)}, by uid: what a refused peer reads. */
  @Override
  public String toString() {
    return "roles(" + String.join(", ", byUid.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .map(e -> "uid " + e.getKey() + " " + e.getValue()).toList()) + ")";
  }

  /** Builds {@link Roles}. Not threadsafe. */
  public static final class Builder {
    private final Map<Long, Role> byUid = new LinkedHashMap<>();
    private Role ownerRole;

    /** Grants {@code role} to {@code uid}. */
    public Builder grant(long uid, Role role) {
      byUid.put(uid, Objects.requireNonNull(role, "role"));
      return this;
    }

    /** The role of the supervisor's own uid (default ADMIN). */
    public Builder ownerRole(Role role) {
      this.ownerRole = Objects.requireNonNull(role, "role");
      return this;
    }

    public Roles build() {
      Map<Long, Role> m = new LinkedHashMap<>(byUid);
      m.put(Uids.current(), ownerRole != null ? ownerRole : m.getOrDefault(Uids.current(), Role.ADMIN));
      return new Roles(m);
    }
  }
}
