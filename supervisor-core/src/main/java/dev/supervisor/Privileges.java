package dev.supervisor;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Least privilege for one child, enforced by the kernel: the user and group it runs as, its
 * umask, {@code no_new_privs}, the capabilities it keeps, resource limits and filesystem/network
 * {@link Permissions}. Each control left out is no restriction of that kind. Immutable and
 * threadsafe; build one with {@link #builder()} (not threadsafe) and give it to
 * {@link ChildSpec.Builder#privileges(Privileges)}.
 *
 * <p>How each is enforced: user, group, supplementary groups, capabilities and no_new_privs by
 * {@code setpriv} (util-linux); limits by {@code prlimit}; the umask by {@code sh -c 'umask ...;
 * exec "$0" "$@"'}; permissions by Landlock, applied to a spawner thread of their own (JDK 22+,
 * through the FFM API). What cannot be enforced refuses the child, unless
 * {@link Enforcement#BEST_EFFORT}.
 */
public final class Privileges {
  private static final Pattern CAP = Pattern.compile("[A-Z_]+");
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*\\$?");
  private static final Privileges NONE = builder().build();

  private final Optional<String> user;
  private final Optional<String> group;
  private final OptionalInt umask;
  private final boolean noNewPrivileges;
  private final Optional<Set<String>> capabilities;
  private final Map<ResourceLimit, Long> limits;
  private final Optional<Permissions> permissions;
  private final Enforcement enforcement;

  private Privileges(Builder b) {
    this.user = Optional.ofNullable(b.user);
    this.group = Optional.ofNullable(b.group);
    this.umask = b.umask == null ? OptionalInt.empty() : OptionalInt.of(b.umask);
    this.noNewPrivileges = b.noNewPrivileges;
    this.capabilities = b.capabilities == null ? Optional.empty()
        : Optional.of(Collections.unmodifiableSet(new LinkedHashSet<>(b.capabilities)));
    this.limits = Collections.unmodifiableMap(new EnumMap<>(b.limits));
    this.permissions = Optional.ofNullable(b.permissions);
    this.enforcement = b.enforcement;
  }

  /** No control at all: the child runs with the supervisor's own privileges (the default). */
  public static Privileges none() {
    return NONE;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.user = user.orElse(null);
    b.group = group.orElse(null);
    b.umask = umask.isPresent() ? umask.getAsInt() : null;
    b.noNewPrivileges = noNewPrivileges;
    b.capabilities = capabilities.map(LinkedHashSet::new).orElse(null);
    b.limits.putAll(limits);
    b.permissions = permissions.orElse(null);
    b.enforcement = enforcement;
    return b;
  }

  /** The user (a name or a numeric id) the child runs as, with that user's supplementary groups. */
  public Optional<String> user() { return user; }

  /** The group (a name or a numeric id); without it, the user's primary group. */
  public Optional<String> group() { return group; }

  public OptionalInt umask() { return umask; }

  public boolean noNewPrivileges() { return noNewPrivileges; }

  /**
   * The capabilities kept (names without {@code CAP_}, upper case); when present every other one
   * is dropped from all sets, bounding and ambient included. Empty: capabilities are left as they are.
   */
  public Optional<Set<String>> capabilities() { return capabilities; }

  public Map<ResourceLimit, Long> limits() { return limits; }

  public Optional<Permissions> permissions() { return permissions; }

  public Enforcement enforcement() { return enforcement; }

  /** True when no control is declared. */
  public boolean isEmpty() {
    return user.isEmpty() && group.isEmpty() && umask.isEmpty() && !noNewPrivileges && capabilities.isEmpty()
        && limits.isEmpty() && permissions.isEmpty();
  }

  /** The umask as the config writes it: {@code "0027"}. */
  public static String octal(int umask) {
    return String.format(Locale.ROOT, "%04o", umask);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Privileges p && user.equals(p.user) && group.equals(p.group) && umask.equals(p.umask)
        && noNewPrivileges == p.noNewPrivileges && capabilities.equals(p.capabilities) && limits.equals(p.limits)
        && permissions.equals(p.permissions) && enforcement == p.enforcement;
  }

  @Override
  public int hashCode() {
    return Objects.hash(user, group, umask, noNewPrivileges, capabilities, limits, permissions, enforcement);
  }

  @Override
  public String toString() {
    if (isEmpty()) {
      return "Privileges.none()";
    }
    StringBuilder s = new StringBuilder("Privileges[");
    user.ifPresent(u -> s.append("user=").append(u).append(' '));
    group.ifPresent(g -> s.append("group=").append(g).append(' '));
    umask.ifPresent(m -> s.append("umask=").append(octal(m)).append(' '));
    if (noNewPrivileges) {
      s.append("noNewPrivileges ");
    }
    capabilities.ifPresent(c -> s.append("capabilities=").append(c).append(' '));
    if (!limits.isEmpty()) {
      s.append("limits=").append(limits).append(' ');
    }
    permissions.ifPresent(p -> s.append(p).append(' '));
    if (enforcement == Enforcement.BEST_EFFORT) {
      s.append("best-effort ");
    }
    return s.toString().trim() + "]";
  }

  /** Builds {@link Privileges}. Not threadsafe. */
  public static final class Builder {
    private String user;
    private String group;
    private Integer umask;
    private boolean noNewPrivileges;
    private Set<String> capabilities;
    private final Map<ResourceLimit, Long> limits = new EnumMap<>(ResourceLimit.class);
    private Permissions permissions;
    private Enforcement enforcement = Enforcement.STRICT;

    private Builder() {}

    /**
     * The user to run as: a login name or a numeric uid.
     *
     * @throws IllegalArgumentException if it is neither
     */
    public Builder user(String user) {
      this.user = id(user, "user");
      return this;
    }

    /**
     * The group to run as: a group name or a numeric gid.
     *
     * @throws IllegalArgumentException if it is neither
     */
    public Builder group(String group) {
      this.group = id(group, "group");
      return this;
    }

    /**
     * The umask the child starts with, e.g. {@code 0027}.
     *
     * @throws IllegalArgumentException if not in {@code 0..0777}
     */
    public Builder umask(int umask) {
      if (umask < 0 || umask > 0777) {
        throw new IllegalArgumentException("umask must be an octal value in 0000..0777, got " + Integer.toOctalString(umask));
      }
      this.umask = umask;
      return this;
    }

    /** Sets {@code no_new_privs}: setuid binaries and file capabilities grant nothing to the child. */
    public Builder noNewPrivileges() {
      this.noNewPrivileges = true;
      return this;
    }

    /** As {@link #noNewPrivileges()}, or not. */
    public Builder noNewPrivileges(boolean on) {
      this.noNewPrivileges = on;
      return this;
    }

    /**
     * Keeps only these capabilities ({@code NET_BIND_SERVICE} or {@code CAP_NET_BIND_SERVICE}, any
     * case) and drops every other one from all sets; no names drops them all.
     *
     * @throws IllegalArgumentException if a name is not a capability name
     */
    public Builder capabilities(String... names) {
      Set<String> out = new LinkedHashSet<>();
      for (String n : names) {
        String c = Objects.requireNonNull(n, "capabilities").trim().toUpperCase(Locale.ROOT);
        if (c.startsWith("CAP_")) {
          c = c.substring(4);
        }
        if (!CAP.matcher(c).matches()) {
          throw new IllegalArgumentException("'" + n + "' is not a capability name (like NET_BIND_SERVICE)");
        }
        out.add(c);
      }
      this.capabilities = out;
      return this;
    }

    /**
     * Sets one resource limit (soft = hard).
     *
     * @throws IllegalArgumentException if {@code value} is negative
     */
    public Builder limit(ResourceLimit limit, long value) {
      Objects.requireNonNull(limit, "limit");
      if (value < 0) {
        throw new IllegalArgumentException(limit.key() + " must not be negative, got " + value);
      }
      limits.put(limit, value);
      return this;
    }

    public Builder permissions(Permissions permissions) {
      this.permissions = Objects.requireNonNull(permissions, "permissions");
      return this;
    }

    /** {@link Enforcement#STRICT} (the default) or {@link Enforcement#BEST_EFFORT}. */
    public Builder enforcement(Enforcement enforcement) {
      this.enforcement = Objects.requireNonNull(enforcement, "enforcement");
      return this;
    }

    public Privileges build() {
      return new Privileges(this);
    }

    private static String id(String value, String what) {
      Objects.requireNonNull(value, what);
      if (!ID.matcher(value).matches()) {
        throw new IllegalArgumentException(what + " '" + value + "' is neither a name nor a numeric id");
      }
      return value;
    }
  }
}
