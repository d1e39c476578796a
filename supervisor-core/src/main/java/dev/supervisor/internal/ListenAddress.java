package dev.supervisor.internal;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One listening socket of socket activation, as a child's {@code "sockets"} writes it:
 * {@code [NAME=]tcp:HOST:PORT} (HOST an IPv4 literal, {@code [IPv6]} or {@code localhost}, PORT
 * 1..65535) or {@code [NAME=]unix:/absolute/path}. NAME is what the child sees in
 * {@code LISTEN_FDNAMES} (systemd's {@code FileDescriptorName=}); by default {@code tcp-PORT} or
 * the unix socket's file name.
 *
 * @param name the descriptor's name for {@code LISTEN_FDNAMES}
 * @param host the IP address of a TCP socket; null for a unix socket
 * @param port the TCP port; 0 for a unix socket
 * @param path the unix socket's file; null for a TCP socket
 */
public record ListenAddress(String name, InetAddress host, int port, Path path) {
  private static final Pattern TCP = Pattern.compile("tcp:(\\[[0-9A-Fa-f:.]+\\]|[0-9.]+|localhost):([0-9]{1,5})");
  /** systemd's rule for a descriptor name: 1 to 255 printable ASCII characters, no ':'. */
  private static final Pattern NAME = Pattern.compile("[\\x21-\\x39\\x3b-\\x3c\\x3e-\\x7e]{1,255}");
  /** {@code sun_path} is 108 bytes, one of them the terminating NUL. */
  public static final int MAX_UNIX_PATH_BYTES = 107;
  static final String EXAMPLES = "\"tcp:127.0.0.1:8080\", \"tcp:[::1]:8080\" or \"unix:/run/app/web.sock\"";

  /**
   * Parses one address; relative unix paths are resolved against {@code baseDir} when it is given.
   *
   * @throws IllegalArgumentException naming what is wrong and what is expected
   */
  public static ListenAddress parse(String text, Optional<Path> baseDir) {
    String spec = text;
    String name = null;
    int eq = text.indexOf('=');
    if (eq > 0 && !text.substring(0, eq).contains(":")) {
      name = text.substring(0, eq);
      spec = text.substring(eq + 1);
      if (!NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("socket '" + text + "': its name '" + name + "' must be 1 to 255 printable"
            + " characters without ':', '=' or spaces (it goes into LISTEN_FDNAMES)");
      }
    }
    if (spec.startsWith("unix:")) {
      String file = spec.substring("unix:".length());
      if (file.isEmpty() || file.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("socket '" + text + "': give the socket file's path, like " + EXAMPLES);
      }
      Path p = Path.of(file);
      if (!p.isAbsolute()) {
        if (baseDir.isEmpty()) {
          throw new IllegalArgumentException("socket '" + text + "': a unix socket's path must be absolute");
        }
        p = baseDir.get().resolve(p);
      }
      p = p.normalize();
      if (p.getParent() == null) {
        throw new IllegalArgumentException("socket '" + text + "': give a file in a directory, like " + EXAMPLES);
      }
      int bytes = p.toString().getBytes(StandardCharsets.UTF_8).length;
      if (bytes > MAX_UNIX_PATH_BYTES) {
        throw new IllegalArgumentException("socket '" + text + "': the path is " + bytes + " bytes long, and a unix socket's"
            + " path can have at most " + MAX_UNIX_PATH_BYTES + "; choose a shorter one");
      }
      String dflt = p.getFileName() == null ? "unix" : p.getFileName().toString().replace(':', '-').replace('=', '-');
      return new ListenAddress(name != null ? name : NAME.matcher(dflt).matches() ? dflt : "unix", null, 0, p);
    }
    Matcher m = TCP.matcher(spec);
    if (!m.matches()) {
      throw new IllegalArgumentException("socket '" + text + "' is not an address this supervisor can listen on: write "
          + EXAMPLES + " (an IP address, not a host name)");
    }
    int port = Integer.parseInt(m.group(2));
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("socket '" + text + "': the port must be 1..65535 (a fixed port: clients must know it),"
          + " got " + port);
    }
    String h = m.group(1);
    InetAddress host;
    try {
      if (h.equals("localhost")) {
        host = InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
      } else if (h.startsWith("[")) {
        host = InetAddress.getByName(h); // brackets: an IPv6 literal or an error, never a lookup
        if (!(host instanceof Inet6Address)) {
          throw new IllegalArgumentException("socket '" + text + "': " + h + " is not an IPv6 address");
        }
      } else {
        String[] parts = h.split("\\.", -1);
        byte[] octets = new byte[4];
        for (int i = 0; i < parts.length && parts.length == 4; i++) {
          int v = parts[i].isEmpty() || parts[i].length() > 3 ? 256 : Integer.parseInt(parts[i]);
          if (v > 255) {
            parts = new String[0];
            break;
          }
          octets[i] = (byte) v;
        }
        if (parts.length != 4) {
          throw new IllegalArgumentException("socket '" + text + "': " + h + " is not an IPv4 address like 127.0.0.1");
        }
        host = InetAddress.getByAddress(octets);
      }
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("socket '" + text + "': " + h + " is not an IP address", e);
    }
    return new ListenAddress(name != null ? name : "tcp-" + port, host, port, null);
  }

  /**
   * Two children declaring the same address, if any do: the kernel would split its connections
   * between two different programs. (The instances of one child share its sockets by design.)
   */
  public static Optional<String> sharedAddress(java.util.List<dev.supervisor.ChildSpec> specs) {
    java.util.Map<String, String> owner = new java.util.HashMap<>();
    for (dev.supervisor.ChildSpec spec : specs) {
      if (spec == null) {
        continue;
      }
      String name = spec.instanceOf().orElse(spec.name());
      for (String s : spec.sockets()) {
        String address = parse(s, Optional.empty()).address();
        String other = owner.putIfAbsent(address, name);
        if (other != null && !other.equals(name)) {
          return Optional.of("children '" + other + "' and '" + name + "' both declare the socket " + address + ": a socket is"
              + " passed to one child (and its instances); give each its own address");
        }
      }
    }
    return Optional.empty();
  }

  /** Whether this is a unix socket. */
  public boolean unix() {
    return path != null;
  }

  /** {@code tcp:127.0.0.1:8080}, {@code tcp:[::1]:8080} or {@code unix:/path}, without the name. */
  public String address() {
    if (unix()) {
      return "unix:" + path;
    }
    String a = host.getHostAddress();
    return "tcp:" + (host instanceof Inet6Address ? "[" + a + "]" : a) + ":" + port;
  }

  @Override
  public String toString() {
    return name + "=" + address();
  }
}
