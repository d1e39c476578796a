package dev.supervisor.ipc;

import java.util.Arrays;

/** Who may connect at all. The default, {@link #sameUser()}, serves only the server's own uid. */
@FunctionalInterface
public interface PeerPolicy {
  boolean allows(Peer peer);

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
