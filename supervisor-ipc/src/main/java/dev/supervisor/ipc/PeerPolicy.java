package dev.supervisor.ipc;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Who may connect at all. The default, {@link #sameUser()}, serves only the server's own uid.
 * A refused peer is told the policy's {@code toString}: the factories here give readable ones;
 * a lambda is shown as "its peer policy" (use {@link #of(String, Predicate)} to say more).
 */
@FunctionalInterface
public interface PeerPolicy {
  boolean allows(Peer peer);

  /**
   * A policy that allows the peers {@code test} accepts, described as {@code description} (what a
   * refused peer reads, e.g. "uids with a role in roles(uid 0 ADMIN)").
   *
   * @throws NullPointerException if either is null
   */
  static PeerPolicy of(String description, Predicate<Peer> test) {
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(test, "test");
    return new PeerPolicy() {
      @Override public boolean allows(Peer p) { return test.test(p); }
      @Override public String toString() { return description; }
    };
  }

  /**
   * How a refusal names {@code policy}: its {@code toString}, unless that is a class or lambda
   * name (the default {@code Object.toString}), which would tell the peer nothing.
   */
  static String describe(PeerPolicy policy) {
    String s = policy.toString();
    String identity = policy.getClass().getName() + "@" + Integer.toHexString(System.identityHashCode(policy));
    return policy.getClass().isSynthetic() || s.equals(identity) || s.contains("$$Lambda") ? "its peer policy" : s;
  }

  /** Only the uid the server runs as. */
  static PeerPolicy sameUser() {
    long me = Uids.current();
    return new PeerPolicy() {
      @Override public boolean allows(Peer p) { return p.uid() == me; }
      @Override public String toString() { return "sameUser(uid " + me + ")"; }
    };
  }

  /** Only the given uids. */
  static PeerPolicy uids(long... uids) {
    long[] copy = uids.clone();
    return new PeerPolicy() {
      @Override public boolean allows(Peer p) { return Arrays.stream(copy).anyMatch(u -> u == p.uid()); }
      @Override public String toString() { return "uids" + Arrays.toString(copy); }
    };
  }

  /** Anyone who can reach the socket file (its mode and directory still apply). */
  static PeerPolicy anyone() {
    return new PeerPolicy() {
      @Override public boolean allows(Peer p) { return true; }
      @Override public String toString() { return "anyone"; }
    };
  }
}
