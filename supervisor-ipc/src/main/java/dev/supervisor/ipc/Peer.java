package dev.supervisor.ipc;

import java.util.OptionalLong;

/**
 * The process at the other end of a connection, from the kernel ({@code SO_PEERCRED}).
 *
 * @param pid its pid, when the platform reports it
 * @param uid its user id
 * @param gid its group id
 */
public record Peer(OptionalLong pid, long uid, long gid) {
  @Override
  public String toString() {
    return "uid " + uid + (pid.isPresent() ? " pid " + pid.getAsLong() : "");
  }
}
