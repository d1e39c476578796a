package dev.supervisor.internal.engine;

import dev.supervisor.ChildSpec;
import dev.supervisor.internal.ListenAddress;
import dev.supervisor.internal.ListenSockets;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening sockets of socket activation ({@link ChildSpec#sockets()}), by the name of the
 * spec that declares them, so that every instance of {@code web} ({@code web-0}, {@code web-1})
 * shares one set. Bound before the first run that needs them, kept across runs and restarts,
 * bound anew when a reload changed the addresses, closed when the child is removed and when the
 * supervisor's run ends. Threadsafe (its own lock); binds on the loop, before a spawn.
 */
final class ChildSockets {
  private static final Logger log = LoggerFactory.getLogger(ChildSockets.class);

  /** What one spec's sockets are bound as. */
  private record Held(List<String> addresses, List<ListenSockets.Bound> bound) {
    void close(boolean removeFiles) {
      bound.forEach(b -> b.close(removeFiles));
    }
  }

  private final Map<String, Held> held = new HashMap<>();

  /** The name the sockets of {@code spec} are held under: the spec's own, the same for each of its instances. */
  static String owner(ChildSpec spec) {
    return spec.instanceOf().orElse(spec.name());
  }

  /**
   * The descriptors to pass to a run of {@code spec}, bound now if they are not yet (or were bound
   * for other addresses); empty when it declares none. When this supervisor holds none yet but
   * {@code siblings} (live processes of the same spec, adopted from the supervisor before) do,
   * theirs are taken back ({@link ListenSockets#takeFrom}) rather than bound again.
   *
   * @throws IOException naming the address that cannot be listened on, and why; nothing is left bound
   */
  synchronized List<Integer> fds(ChildSpec spec, List<Long> siblings) throws IOException {
    if (spec.sockets().isEmpty()) {
      return List.of();
    }
    String owner = owner(spec);
    Held h = held.get(owner);
    if (h == null || !h.addresses().equals(spec.sockets())) {
      if (h != null) {
        log.info("child '{}': its sockets changed from {} to {}: binding the new ones", owner, h.addresses(), spec.sockets());
        held.remove(owner).close(true);
      }
      List<ListenAddress> addresses = spec.sockets().stream().map(a -> ListenAddress.parse(a, Optional.empty())).toList();
      List<String> notTaken = new ArrayList<>();
      List<ListenSockets.Bound> bound = null;
      for (long pid : h == null ? siblings : List.<Long>of()) {
        try {
          bound = ListenSockets.takeFrom(pid, addresses);
          log.info("child '{}': took its sockets {} back from process {}, which holds them from the supervisor before",
              owner, spec.sockets(), pid);
          break;
        } catch (IOException e) {
          notTaken.add("process " + pid + ": " + e.getMessage());
        }
      }
      if (bound == null) {
        try {
          bound = bind(addresses);
        } catch (IOException e) {
          throw notTaken.isEmpty() ? e : new IOException(e.getMessage() + "; the sockets could not be taken back from the"
              + " instances still running either (" + String.join("; ", notTaken) + ")", e);
        }
        log.info("child '{}': listening on {} for it", owner, addresses.stream().map(ListenAddress::address).toList());
      }
      h = new Held(spec.sockets(), bound);
      held.put(owner, h);
    }
    return h.bound().stream().map(ListenSockets.Bound::fd).toList();
  }

  private static List<ListenSockets.Bound> bind(List<ListenAddress> addresses) throws IOException {
    List<ListenSockets.Bound> bound = new ArrayList<>();
    try {
      for (ListenAddress a : addresses) {
        bound.add(ListenSockets.listen(a));
      }
      return List.copyOf(bound);
    } catch (IOException | RuntimeException e) {
      bound.forEach(ListenSockets.Bound::close);
      throw e;
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
    out.put("LISTEN_FDNAMES", spec.sockets().stream().map(a -> ListenAddress.parse(a, Optional.empty()).name())
        .collect(Collectors.joining(":")));
    return out;
  }

  /** Closes the sockets of every spec not in {@code owners} (after a reload removed children). */
  synchronized void retain(Collection<String> owners) {
    Set<String> keep = Set.copyOf(owners);
    held.entrySet().removeIf(e -> {
      if (keep.contains(e.getKey())) {
        return false;
      }
      log.info("child '{}' was removed: closing its sockets {}", e.getKey(), e.getValue().addresses());
      e.getValue().close(true);
      return true;
    });
  }

  /**
   * At the end of the supervisor's run; {@code removeFiles} false at a hand-over, whose children
   * go on listening (the next supervisor takes the sockets back from them).
   */
  synchronized void closeAll(boolean removeFiles) {
    held.values().forEach(h -> h.close(removeFiles));
    held.clear();
  }
}
