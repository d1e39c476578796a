package dev.supervisor;

import dev.supervisor.internal.config.ConfigReader;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/** An immutable supervisor config read from JSON: {@code {"strategy":"one-for-one","children":[{"name":"w1","command":["sleep","100"],"workingDir":null,"env":{},"inheritEnv":["PATH","HOME","LANG","TZ"],"restart":"on-failure","backoff":{"initial":"1s","max":"30s","multiplier":2.0,"jitter":0.0},"resetAfter":"60s","maxRestarts":5,"window":"60s","stopSignal":"TERM","stopGrace":"10s","dependsOn":[],"logs":{"maxBytes":10485760,"keep":7,"gzip":true}}]}} (only name and command are required; see {@link #parse(String, String)}). */
public final class SupervisorConfig {
  private final Strategy strategy;
  private final List<ChildSpec> children;

  private SupervisorConfig(ConfigReader.Parsed parsed) {
    this.strategy = parsed.strategy();
    this.children = List.copyOf(parsed.children());
  }

  /**
   * Reads and validates the config in {@code file} (UTF-8 JSON, see {@link #parse(String, String)}).
   * Messages start with {@code file} as given; relative {@code workingDir}s resolve against the
   * directory that holds {@code file}.
   *
   * @param file the config file
   * @return the config
   * @throws ConfigException if the file cannot be read ({@code cannot read config FILE: ...}), is not
   *     well-formed JSON or does not follow the schema; {@link ConfigException#file()} is {@code file}
   * @throws NullPointerException if {@code file} is null
   */
  public static SupervisorConfig load(Path file) throws ConfigException {
    return new SupervisorConfig(ConfigReader.load(file));
  }


  /**
   * Parses and validates a config.
   *
   * <p>Top level: {@code "strategy"} ({@code one-for-one} (default), {@code one-for-all},
   * {@code rest-for-one}) and {@code "children"}, a non-empty array of child objects. A child has a
   * {@code "name"} (unique, 1 to 64 of {@code [a-z0-9._-]} starting with a letter or a digit, not one
   * of {@link ChildSpec#RESERVED_NAMES}, and with {@code "instances"} at most 60 and clashing with no
   * other child's name: see {@link ChildSpec#NAME}) and a {@code "command"} (a non-empty array of
   * strings, never run through a shell); every other member is optional, and null means the
   * default: {@code "workingDir"} (relative paths resolve against the current directory),
   * {@code "env"} (an object of strings), {@code "inheritEnv"} (replaces the default allow-list
   * {@code PATH HOME LANG TZ}), {@code "restart"} ({@code always}, {@code on-failure} (default),
   * {@code never}), {@code "backoff"} (exponential; {@code initial} 1s, {@code max} 30s,
   * {@code multiplier} 2.0, {@code jitter} 0.0 in [0, 1]), {@code "resetAfter"} (60s),
   * {@code "maxRestarts"} (5 in {@code "window"} 60s; 0 restarts forever), {@code "stopSignal"}
   * ({@code TERM}, {@code INT}, {@code HUP}, {@code QUIT}, {@code USR1}, {@code USR2}, {@code KILL}, any
   * case, with or without {@code SIG}), {@code "stopGrace"} (10s), {@code "dependsOn"} (names of
   * other children, no cycles), {@code "logs"} (an object with {@code maxBytes} 10485760,
   * {@code keep} 7, {@code gzip} true, or the string {@code "discard"}), {@code "readiness"}
   * ({@code "notify"}: READY when it sends {@code READY=1} on its {@code NOTIFY_SOCKET}, within
   * {@code "readyTimeout"}, 30s), {@code "watchdog"} (it must send {@code WATCHDOG=1} this often), and the
   * least-privilege fields {@code "user"}, {@code "group"}, {@code "umask"}, {@code "noNewPrivileges"},
   * {@code "capabilities"}, {@code "limits"}, {@code "permissions"} and {@code "enforce"} (see
   * {@link Privileges}; a control this host cannot enforce is an error unless {@code "enforce"} is
   * {@code "best-effort"}), and {@code "sockets"} (socket activation: listening sockets passed as
   * descriptors 3, 4, ..., like {@code ["tcp:127.0.0.1:8080", "admin=unix:run/admin.sock"]}; see
   * {@link ChildSpec.Builder#sockets(String...)}; a relative unix path resolves as
   * {@code "workingDir"} does). Durations are strings such
   * as {@code "250ms"}, {@code "1.5s"}, {@code "5m"}, {@code "2h"}, {@code "1d"}. Unknown members
   * and duplicate keys are errors.
   *
   * @param json the JSON text
   * @param sourceName what to call the config in messages, e.g. its file name
   * @return the config
   * @throws ConfigException if {@code json} is not well-formed JSON or does not follow the schema;
   *     the message starts with {@code sourceName} and {@link ConfigException#file()} is empty
   * @throws NullPointerException if an argument is null
   */
  public static SupervisorConfig parse(String json, String sourceName) throws ConfigException {
    return new SupervisorConfig(ConfigReader.parse(json, sourceName));
  }


  /** The restart strategy. */
  public Strategy strategy() {
    return strategy;
  }

  /** The children in declaration order (unmodifiable). */
  public List<ChildSpec> children() {
    return children;
  }

  /**
   * Sets the strategy of {@code builder} and adds the children to it.
   *
   * @param builder the builder to configure
   * @return {@code builder}
   * @throws NullPointerException if {@code builder} is null
   */
  public Supervisor.Builder applyTo(Supervisor.Builder builder) {
    Objects.requireNonNull(builder, "builder");
    return builder.strategy(strategy).children(children);
  }

  @Override
  public String toString() {
    return "SupervisorConfig[" + strategy + ", children " + children.stream().map(ChildSpec::name).toList() + "]";
  }
}
