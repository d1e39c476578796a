package dev.supervisor.internal.engine;

import dev.supervisor.ChildSpec;
import dev.supervisor.internal.ListenAddress;
import dev.supervisor.internal.ListenSockets;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening sockets of socket activation ({@link ChildSpec#sockets()}), held by address
 * ({@code tcp:127.0.0.1:8080}), so that every run and every instance declaring an address shares
 * one socket, and a reload that adds, drops or renames sockets keeps those whose address stays
 * (an instance still on the old spec goes on accepting while the next one starts). Bound before
 * the first run that needs them, or taken back from an adopted process that got them from the
 * supervisor before; kept across runs and restarts; closed once no live child declares them (after
 * a reload) and at the supervisor's end. Threadsafe (its own lock); binds on the loop, before a
 * spawn.
 */
final class ChildSockets {
  private static final Logger log = LoggerFactory.getLogger(ChildSockets.class);

  /** By {@link ListenAddress#address()}. */
  private final Map<String, ListenSockets.Bound> held = new HashMap<>();
  /** Why an address could not be taken back from an adopted process: said again if binding it fails. */
  private final Map<String, String> notTaken = new HashMap<>();

  private static List<ListenAddress> addresses(ChildSpec spec) {
    return spec.sockets().stream().map(a -> ListenAddress.parse(a, Optional.empty())).toList();
  }

  /**
   * The descriptors to pass to a run of {@code spec}, in its order, each bound now if it is not
   * held yet; empty when it declares none.
   *
   * @throws IOException naming the address that cannot be listened on, and why; nothing new is left bound
   */
  synchronized List<Integer> fds(ChildSpec spec) throws IOException {
    List<ListenSockets.Bound> fresh = new ArrayList<>();
    List<Integer> fds = new ArrayList<>();
    try {
      for (ListenAddress a : addresses(spec)) {
        ListenSockets.Bound b = held.get(a.address());
        if (b == null) {
          try {
            b = ListenSockets.listen(a);
          } catch (IOException e) {
            String why = notTaken.get(a.address());
            throw why == null ? e : new IOException(e.getMessage() + "; it could not be taken back from the process that"
                + " holds it either (" + why + ")", e);
          }
          fresh.add(b);
        }
        fds.add(b.fd());
      }
    } catch (IOException | RuntimeException e) {
      fresh.forEach(ListenSockets.Bound::close);
      throw e;
    }
    for (ListenSockets.Bound b : fresh) {
      held.put(b.address().address(), b);
      notTaken.remove(b.address().address());
      log.info("child '{}': listening on {} for it", spec.name(), b.address().address());
    }
    return fds;
  }

  /**
   * At the adoption of {@code pid} (a hand-over, or a crash with ADOPT): its descriptors 3, 4, ...
   * are the sockets of {@code spec} the supervisor before passed it; each address not held yet is
   * taken back from it, so that it outlives that process. What cannot be taken is said at WARN,
   * and named again if binding it later fails.
   */
  synchronized void takeBack(ChildSpec spec, long pid) {
    List<ListenAddress> addresses = addresses(spec);
    for (int i = 0; i < addresses.size(); i++) {
      ListenAddress a = addresses.get(i);
      if (held.containsKey(a.address())) {
        continue;
      }
      try {
        held.put(a.address(), takeFrom(pid, 3 + i, a));
        notTaken.remove(a.address());
        log.info("child '{}': took {} back from process {}, which got it from the supervisor before", spec.name(),
            a.address(), pid);
      } catch (IOException e) {
        notTaken.put(a.address(), "process " + pid + ": " + e.getMessage());
        log.warn("child '{}': cannot take {} back from process {} ({}); it is bound anew at the next start, which fails"
            + " while another process holds it", spec.name(), a.address(), pid, e.getMessage());
      }
    }
  }

  /**
   * The socket at descriptor {@code expected} of {@code pid} (where the supervisor before put it),
   * else at any of its descriptors: a program may have moved it (Go's activation package dups
   * it and closes 3), and a config changed across an upgrade may list the sockets in another order.
   */
  private static ListenSockets.Bound takeFrom(long pid, int expected, ListenAddress a) throws IOException {
    try {
      return ListenSockets.takeFrom(pid, expected, a);
    } catch (IOException atExpected) {
      List<Integer> others = new ArrayList<>();
      try (java.util.stream.Stream<java.nio.file.Path> fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc",
          Long.toString(pid), "fd"))) {
        fds.map(f -> f.getFileName().toString()).filter(n -> n.matches("[0-9]+")).map(Integer::parseInt)
            .filter(fd -> fd >= 3 && fd != expected).sorted().forEach(others::add);
      } catch (IOException | java.io.UncheckedIOException unreadable) {
        throw atExpected;
      }
      for (int fd : others) {
        try {
          return ListenSockets.takeFrom(pid, fd, a);
        } catch (IOException notThisOne) {
          // another descriptor of its own
        }
      }
      throw new IOException("descriptor " + expected + ": " + atExpected.getMessage() + "; none of its other "
          + others.size() + " descriptors listens on " + a.address(), atExpected);
    }
  }

  /**
   * The environment of a run that gets {@code spec}'s sockets: {@code LISTEN_FDS} and
   * {@code LISTEN_FDNAMES} set ({@code LISTEN_PID}, the child's own pid, is set by the launcher,
   * which alone knows it); unchanged for a child without sockets.
   */
  static Map<String, String> environment(Map<String, String> env, ChildSpec spec) {
    if (spec.sockets().isEmpty()) {
      return env;
    }
    Map<String, String> out = new LinkedHashMap<>(env);
    out.remove("LISTEN_PID");
    out.put("LISTEN_FDS", Integer.toString(spec.sockets().size()));
    out.put("LISTEN_FDNAMES", addresses(spec).stream().map(ListenAddress::name).collect(Collectors.joining(":")));
    return out;
  }

  /** Closes every socket no spec in {@code live} declares (a reload removed the child, or its socket). */
  synchronized void retain(Collection<ChildSpec> live) {
    Set<String> declared = new HashSet<>();
    live.forEach(sp -> addresses(sp).forEach(a -> declared.add(a.address())));
    held.entrySet().removeIf(e -> {
      if (declared.contains(e.getKey())) {
        return false;
      }
      log.info("no child declares {} any more: closing it", e.getKey());
      e.getValue().close(true);
      return true;
    });
    notTaken.keySet().retainAll(declared);
  }

  /**
   * At the end of the supervisor's run; {@code removeFiles} false at a hand-over, whose children
   * go on listening (the next supervisor takes the sockets back from them).
   */
  synchronized void closeAll(boolean removeFiles) {
    held.values().forEach(h -> h.close(removeFiles));
    held.clear();
    notTaken.clear();
  }
}
