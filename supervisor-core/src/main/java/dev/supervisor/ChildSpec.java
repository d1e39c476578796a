package dev.supervisor;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Immutable description of one child: what to run and how to keep it running. Threadsafe; build
 * one with {@link #builder(String)} (the builder is not threadsafe) and change one with
 * {@link #toBuilder()}.
 *
 * <p>Defaults: no working directory (the supervisor's), environment {@code PATH HOME LANG TZ}
 * inherited and nothing else, {@link RestartPolicy#standard()}, stop with {@code TERM} to the
 * process group and {@code KILL} after 10 s, no readiness probe, no health check,
 * {@link LogConfig#defaults()}, no dependencies.
 */
public final class ChildSpec {
  /**
   * What a child name must match: lower-case letters, digits, {@code .}, {@code _} and {@code -},
   * starting with a letter or a digit (so never {@code .}, {@code ..} or an option-like
   * {@code -x}), at most {@link #MAX_NAME_LENGTH} characters. Names become file and socket names
   * under the home ({@code logs/<name>.log}, {@code incidents/<name>.jsonl},
   * {@code run/notify/<name>.sock}).
   */
  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  /** The longest child name, instance names ({@code web-999}) included. */
  public static final int MAX_NAME_LENGTH = 64;
  /** The most sockets a child may declare ({@link Builder#sockets(String...)}). */
  public static final int MAX_SOCKETS = 64;
  /** The most instances a spec may ask for ({@link Builder#instances(int)}, {@code Supervisor.scale}). */
  public static final int MAX_INSTANCES = 1000;
  /**
   * The longest name of a spec with instances: its highest instance name,
   * {@code name-999}, must fit {@link #MAX_NAME_LENGTH}.
   */
  public static final int MAX_TEMPLATE_NAME_LENGTH = MAX_NAME_LENGTH - ("-" + (MAX_INSTANCES - 1)).length();
  /**
   * Names a child may not have, because the supervisor, its control protocol or the launcher's
   * home already use them: {@code all} (the control commands' "every child"), {@code control}
   * ({@code run/control.sock}), {@code daemon} ({@code logs/daemon.log}, a daemon's own output),
   * {@code events} and {@code supervisor-events} ({@code logs/supervisor-events.jsonl}),
   * {@code http} ({@code run/http.addr}, {@code http.token}), {@code notify}
   * ({@code run/notify/}) and {@code supervisor}.
   */
  public static final Set<String> RESERVED_NAMES = Set.of("all", "control", "daemon", "events", "http", "notify", "supervisor",
      "supervisor-events");
  /** The variables a child inherits from the supervisor unless told otherwise. */
  public static final Set<String> DEFAULT_INHERITED_ENV =
      java.util.Collections.unmodifiableSet(new LinkedHashSet<>(List.of("PATH", "HOME", "LANG", "TZ")));

  /**
   * A readiness probe: polled every {@code interval} after the spawn until it passes
   * ({@code RUNNING -> READY}); not passing within {@code timeout} is a failure: the child is
   * killed and handled by its restart policy.
   */
  public record Readiness(HealthCheck probe, Duration timeout, Duration interval) {}

  /**
   * A periodic health check: run every {@code every}, starting {@code startGrace} after the spawn
   * (or after READY); {@code failuresToRestart} failures in a row kill the child as a crash.
   */
  public record Health(HealthCheck check, Duration every, int failuresToRestart, Duration startGrace) {}

  /**
   * The systemd notify protocol for this child: it gets {@code NOTIFY_SOCKET} (a datagram socket
   * of its own) and may send {@code READY=1}, {@code STATUS=...}, {@code WATCHDOG=1},
   * {@code RELOADING=1}, {@code STOPPING=1}. Needs a notify socket factory on the supervisor
   * ({@code Supervisor.Builder.notifySockets}, from supervisor-ipc).
   *
   * @param readiness true when {@code READY=1} is what makes the child READY (dependents wait for it)
   * @param readyTimeout how long it may take to send {@code READY=1}; after that it is killed as a failure
   * @param watchdog when present, the child gets {@code WATCHDOG_USEC} and must send {@code WATCHDOG=1}
   *     at least this often once it is up; a missed ping is a hang: it is killed as a failure
   */
  public record Notify(boolean readiness, Duration readyTimeout, Optional<Duration> watchdog) {}

  /**
   * Restart on file changes (as PM2's {@code --watch}): a change under one of {@code paths}
   * (directories recursively, or single files) whose path matches none of the {@code ignore}
   * globs restarts the child once no further change came for {@code debounce}.
   */
  public record Watch(List<Path> paths, Duration debounce, List<String> ignore) {
    /** Ignored unless said otherwise: VCS metadata, logs, temporary and backup files. */
    public static final List<String> DEFAULT_IGNORE = List.of("**/.git/**", "**/*.log", "**/*.tmp", "**/*.swp", "**/*~");

    public Watch {
      paths = List.copyOf(paths);
      ignore = List.copyOf(ignore);
    }
  }

  private final String name;
  private final List<String> argv;
  private final Optional<Path> workingDirectory;
  private final Map<String, String> env;
  private final Set<String> inheritEnv;
  private final RestartPolicy restartPolicy;
  private final StopSignal stopSignal;
  private final Duration stopGrace;
  private final Optional<Readiness> readiness;
  private final Optional<Health> health;
  private final Optional<Notify> notify;
  private final Optional<Watch> watch;
  private final int instances;
  private final Optional<String> instanceOf;
  private final LogConfig logs;
  private final List<String> dependsOn;
  private final Privileges privileges;
  private final List<String> sockets;

  private ChildSpec(Builder b) {
    this.name = b.name;
    this.argv = List.copyOf(b.argv);
    this.workingDirectory = Optional.ofNullable(b.workingDirectory);
    this.env = Collections.unmodifiableMap(new LinkedHashMap<>(b.env));
    this.inheritEnv = Collections.unmodifiableSet(new LinkedHashSet<>(b.inheritEnv));
    this.restartPolicy = b.restartPolicy;
    this.stopSignal = b.stopSignal;
    this.stopGrace = b.stopGrace;
    this.readiness = Optional.ofNullable(b.readiness);
    this.health = Optional.ofNullable(b.health);
    this.notify = b.notifySocket ? Optional.of(new Notify(b.notifyReadyTimeout != null,
        b.notifyReadyTimeout != null ? b.notifyReadyTimeout : Duration.ZERO, Optional.ofNullable(b.watchdog))) : Optional.empty();
    this.watch = Optional.ofNullable(b.watch);
    this.instances = b.instances;
    this.instanceOf = Optional.ofNullable(b.instanceOf);
    this.logs = b.logs;
    this.dependsOn = List.copyOf(b.dependsOn);
    this.privileges = b.privileges;
    this.sockets = List.copyOf(b.sockets);
  }

  /**
   * A builder for a child named {@code name}.
   *
   * @throws IllegalArgumentException if {@code name} does not match {@link #NAME} (1 to 64 of
   *     {@code [a-z0-9._-]}, starting with a letter or a digit) or is one of {@link #RESERVED_NAMES}
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** A builder holding this spec's values. */
  public Builder toBuilder() {
    return toBuilder(name);
  }

  /** A builder holding this spec's values under another name (each field copied once, here). */
  private Builder toBuilder(String newName) {
    Builder b = new Builder(newName);
    b.argv = new ArrayList<>(argv);
    b.workingDirectory = workingDirectory.orElse(null);
    b.env = new LinkedHashMap<>(env);
    b.inheritEnv = new LinkedHashSet<>(inheritEnv);
    b.restartPolicy = restartPolicy;
    b.stopSignal = stopSignal;
    b.stopGrace = stopGrace;
    b.readiness = readiness.orElse(null);
    b.health = health.orElse(null);
    notify.ifPresent(n -> {
      b.notifySocket = true;
      b.notifyReadyTimeout = n.readiness() ? n.readyTimeout() : null;
      b.watchdog = n.watchdog().orElse(null);
    });
    b.watch = watch.orElse(null);
    b.instances = instances;
    b.instanceOf = instanceOf.orElse(null);
    b.logs = logs;
    b.dependsOn = new ArrayList<>(dependsOn);
    b.privileges = privileges;
    b.sockets = new ArrayList<>(sockets);
    return b;
  }

  public String name() { return name; }

  /** The command and its arguments, executed directly (no shell unless argv says {@code sh -c}). */
  public List<String> argv() { return argv; }

  public Optional<Path> workingDirectory() { return workingDirectory; }

  /** Variables set explicitly; they win over inherited ones. */
  public Map<String, String> env() { return env; }

  /** Names of the supervisor's variables the child inherits. */
  public Set<String> inheritEnv() { return inheritEnv; }

  public RestartPolicy restartPolicy() { return restartPolicy; }

  public StopSignal stopSignal() { return stopSignal; }

  public Duration stopGrace() { return stopGrace; }

  public Optional<Readiness> readiness() { return readiness; }

  public Optional<Health> health() { return health; }

  /**
   * How many instances this spec asks for ({@code instances(n)}); 0 for a plain child. The
   * supervisor runs such a spec as {@code name-0 .. name-(n-1)}, each with {@code INSTANCE_ID}.
   */
  public int instances() { return instances; }

  /** For one instance ({@code web-2}), the name of the spec it was made from ({@code web}). */
  public Optional<String> instanceOf() { return instanceOf; }

  /** The spec of instance {@code id}: named {@code name-id}, with {@code INSTANCE_ID=id}. */
  public ChildSpec instance(int id) {
    Builder m = toBuilder(name + "-" + id);
    m.env.put("INSTANCE_ID", Integer.toString(id));
    m.instances = 0;
    m.instanceOf = name;
    return m.build();
  }

  /** File watching, when the child is restarted on changes. */
  public Optional<Watch> watch() { return watch; }

  /** The notify protocol settings, when the child gets a {@code NOTIFY_SOCKET}. */
  public Optional<Notify> notifySettings() { return notify; }

  /** True when the child becomes READY by a probe or by {@code READY=1}; false when RUNNING is enough. */
  public boolean hasReadiness() {
    return readiness.isPresent() || notify.map(Notify::readiness).orElse(false);
  }

  public LogConfig logs() { return logs; }

  /** Children that must be up (READY if they have readiness, else RUNNING) before this one starts. */
  public List<String> dependsOn() { return dependsOn; }

  /** The child's least-privilege controls; {@link Privileges#none()} unless set. */
  public Privileges privileges() { return privileges; }

  /** The environment the child gets, given the supervisor's environment. */
  public Map<String, String> effectiveEnv(Map<String, String> supervisorEnv) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String key : inheritEnv) {
      String v = supervisorEnv.get(key);
      if (v != null) {
        out.put(key, v);
      }
    }
    out.putAll(env);
    return out;
  }

  /**
   * Field by field: two specs are equal when every setting is. What a config file gives
   * (argv, env, restart policy, stop, notify, watch, logs, privileges, dependencies, instances, sockets)
   * compares by value, so a config read twice gives equal specs; readiness probes and health
   * checks given as Java objects compare as their records do, their {@link HealthCheck} by
   * identity unless it defines equals. {@code Supervisor.reload} restarts a child whose spec is
   * not equal to its running one.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof ChildSpec c && name.equals(c.name) && argv.equals(c.argv) && workingDirectory.equals(c.workingDirectory)
        && env.equals(c.env) && inheritEnv.equals(c.inheritEnv) && restartPolicy.equals(c.restartPolicy)
        && stopSignal == c.stopSignal && stopGrace.equals(c.stopGrace) && readiness.equals(c.readiness) && health.equals(c.health)
        && notify.equals(c.notify) && watch.equals(c.watch) && instances == c.instances && instanceOf.equals(c.instanceOf)
        && logs.equals(c.logs) && dependsOn.equals(c.dependsOn) && privileges.equals(c.privileges) && sockets.equals(c.sockets);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, argv, workingDirectory, env, inheritEnv, stopSignal, stopGrace, instances, dependsOn);
  }

  @Override
  public String toString() {
    return "ChildSpec[" + name + " " + argv + ", " + restartPolicy + ", stop " + stopSignal + " grace "
        + Durations.format(stopGrace) + (dependsOn.isEmpty() ? "" : ", dependsOn " + dependsOn) + "]";
  }

  /** Throws unless {@code name} follows {@link #NAME} and is not one of {@link #RESERVED_NAMES}. */
  private static void checkName(String name) {
    if (name.length() > MAX_NAME_LENGTH) {
      throw new IllegalArgumentException("child name '" + abbreviate(name) + "' is " + name.length() + " characters long: the limit is "
          + MAX_NAME_LENGTH + " (names become file names such as logs/<name>.log)");
    }
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("child name '" + name + "' is invalid: use lower-case letters, digits, '.', '_' and '-',"
          + " starting with a letter or a digit");
    }
    if (RESERVED_NAMES.contains(name)) {
      throw new IllegalArgumentException("child name '" + name + "' is reserved (the supervisor's own files and commands use it;"
          + " reserved: " + String.join(", ", new java.util.TreeSet<>(RESERVED_NAMES)) + "): choose another");
    }
  }

  private static String abbreviate(String name) {
    return name.length() <= 32 ? name : name.substring(0, 32) + "...";
  }

  /** The listening sockets passed to every run ({@link Builder#sockets(String...)}); empty for most children. */
  public List<String> sockets() { return sockets; }

  /** The names this spec runs as: its own, or {@code name-0 .. name-(n-1)} with instances. */
  public List<String> runNames() {
    if (instances == 0) {
      return List.of(name);
    }
    List<String> out = new ArrayList<>(instances);
    for (int i = 0; i < instances; i++) {
      out.add(name + "-" + i);
    }
    return out;
  }

  /** Builds a {@link ChildSpec}. Not threadsafe. */
  public static final class Builder {
    private final String name;
    private List<String> argv = new ArrayList<>();
    private Path workingDirectory;
    private Map<String, String> env = new LinkedHashMap<>();
    private Set<String> inheritEnv = new LinkedHashSet<>(DEFAULT_INHERITED_ENV);
    private RestartPolicy restartPolicy = RestartPolicy.standard();
    private StopSignal stopSignal = StopSignal.TERM;
    private Duration stopGrace = Duration.ofSeconds(10);
    private Readiness readiness;
    private Health health;
    private boolean notifySocket;
    private Watch watch;
    private int instances;
    private String instanceOf;
    private Duration notifyReadyTimeout;
    private Duration watchdog;
    private LogConfig logs = LogConfig.defaults();
    private List<String> dependsOn = new ArrayList<>();
    private Privileges privileges = Privileges.none();
    private List<String> sockets = new ArrayList<>();

    private Builder(String name) {
      Objects.requireNonNull(name, "name");
      checkName(name);
      this.name = name;
    }

    /**
     * The command: {@code argv[0]} is looked up on the child's {@code PATH} unless it contains a
     * {@code /}; it is never run through a shell.
     *
     * @throws IllegalArgumentException if {@code argv} is empty or an element is null or {@code argv[0]} is blank
     */
    public Builder argv(String... argv) {
      return argv(Arrays.asList(Objects.requireNonNull(argv, "argv")));
    }

    /** As {@link #argv(String...)}. */
    public Builder argv(List<String> argv) {
      Objects.requireNonNull(argv, "argv");
      if (argv.isEmpty()) {
        throw new IllegalArgumentException("argv of child '" + name + "' is empty: give the command to run");
      }
      for (String a : argv) {
        if (a == null) {
          throw new IllegalArgumentException("argv of child '" + name + "' contains null: " + argv);
        }
      }
      if (argv.get(0).isBlank()) {
        throw new IllegalArgumentException("argv[0] of child '" + name + "' is blank: give the command to run");
      }
      this.argv = new ArrayList<>(argv);
      return this;
    }

    /** The working directory (must exist when the child starts); null means the supervisor's. */
    public Builder workingDirectory(Path dir) {
      this.workingDirectory = dir;
      return this;
    }

    /** Sets one variable. */
    public Builder env(String key, String value) {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      if (key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("environment variable name '" + key + "' of child '" + name + "' is invalid");
      }
      env.put(key, value);
      return this;
    }

    /** Sets all {@code vars}. */
    public Builder env(Map<String, String> vars) {
      vars.forEach(this::env);
      return this;
    }

    /** Replaces the inherited allow-list (default {@code PATH HOME LANG TZ}); no names means inherit nothing. */
    public Builder inheritEnv(String... names) {
      inheritEnv = new LinkedHashSet<>();
      for (String n : names) {
        inheritEnv.add(Objects.requireNonNull(n, "names"));
      }
      return this;
    }

    public Builder restartPolicy(RestartPolicy policy) {
      this.restartPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    public Builder stopSignal(StopSignal signal) {
      this.stopSignal = Objects.requireNonNull(signal, "signal");
      return this;
    }

    /**
     * How long a child may take to exit after the stop signal before its group gets SIGKILL.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder stopGrace(Duration grace) {
      if (Objects.requireNonNull(grace, "grace").isNegative()) {
        throw new IllegalArgumentException("stopGrace must not be negative, got " + grace);
      }
      this.stopGrace = grace;
      return this;
    }

    /**
     * Readiness probe polled every 100 ms until it passes or {@code timeout} elapses.
     *
     * @throws IllegalArgumentException if {@code timeout} is not positive
     */
    public Builder readiness(HealthCheck probe, Duration timeout) {
      return readiness(probe, timeout, Duration.ofMillis(100));
    }

    /**
     * Readiness probe polled every {@code interval} until it passes or {@code timeout} elapses.
     *
     * @throws IllegalArgumentException if a duration is not positive
     */
    public Builder readiness(HealthCheck probe, Duration timeout, Duration interval) {
      this.readiness = new Readiness(Objects.requireNonNull(probe, "probe"), Durations.requirePositive(timeout, "timeout"),
          Durations.requirePositive(interval, "interval"));
      return this;
    }

    /**
     * Periodic health check, first run after {@code every}.
     *
     * @throws IllegalArgumentException if {@code every} is not positive or {@code failuresToRestart < 1}
     */
    public Builder healthCheck(HealthCheck check, Duration every, int failuresToRestart) {
      return healthCheck(check, every, failuresToRestart, every);
    }

    /**
     * Periodic health check, first run {@code startGrace} after the child is up.
     *
     * @throws IllegalArgumentException if {@code every} is not positive, {@code startGrace} negative or {@code failuresToRestart < 1}
     */
    public Builder healthCheck(HealthCheck check, Duration every, int failuresToRestart, Duration startGrace) {
      if (failuresToRestart < 1) {
        throw new IllegalArgumentException("failuresToRestart must be >= 1, got " + failuresToRestart);
      }
      if (Objects.requireNonNull(startGrace, "startGrace").isNegative()) {
        throw new IllegalArgumentException("startGrace must not be negative, got " + startGrace);
      }
      this.health = new Health(Objects.requireNonNull(check, "check"), Durations.requirePositive(every, "every"), failuresToRestart,
          startGrace);
      return this;
    }

    /**
     * Readiness the systemd way: the child gets {@code NOTIFY_SOCKET} and is READY when it sends
     * {@code READY=1} (from any process of its process group: {@code systemd-notify --ready} in
     * a script works); not within {@code timeout} is a failure. Replaces a readiness probe.
     *
     * @throws IllegalArgumentException if {@code timeout} is not positive
     */
    public Builder readinessNotify(Duration timeout) {
      this.notifyReadyTimeout = Durations.requirePositive(timeout, "timeout");
      this.notifySocket = true;
      return this;
    }

    /**
     * A liveness watchdog: the child gets {@code NOTIFY_SOCKET} and {@code WATCHDOG_USEC} and must
     * send {@code WATCHDOG=1} at least every {@code interval} once it is up (READY, or RUNNING
     * without readiness); a missed ping kills it as hung, and its restart policy decides.
     *
     * @throws IllegalArgumentException if {@code interval} is not positive
     */
    public Builder watchdog(Duration interval) {
      this.watchdog = Durations.requirePositive(interval, "interval");
      this.notifySocket = true;
      return this;
    }

    /**
     * Restarts the child when files under {@code paths} change, after 500 ms without further
     * changes, ignoring {@link Watch#DEFAULT_IGNORE}.
     *
     * @throws IllegalArgumentException if no path is given
     */
    public Builder watch(Path... paths) {
      return watch(List.of(paths), Duration.ofMillis(500), Watch.DEFAULT_IGNORE);
    }

    /**
     * Restarts the child when files under {@code paths} change, once {@code debounce} passed with
     * no further change; paths matching one of the {@code ignore} globs ({@code glob:} syntax of
     * {@link java.nio.file.FileSystem#getPathMatcher}, against the absolute path) do not count.
     *
     * @throws IllegalArgumentException if no path is given, {@code debounce} is negative or a glob is malformed
     */
    public Builder watch(List<Path> paths, Duration debounce, List<String> ignore) {
      if (paths.isEmpty()) {
        throw new IllegalArgumentException("watch needs at least one path");
      }
      if (Objects.requireNonNull(debounce, "debounce").isNegative()) {
        throw new IllegalArgumentException("debounce must not be negative, got " + debounce);
      }
      for (String g : ignore) {
        java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + g); // throws on a malformed glob
      }
      this.watch = new Watch(paths.stream().map(p -> p.toAbsolutePath().normalize()).toList(), debounce, ignore);
      return this;
    }

    /**
     * Runs {@code n} instances of this child, named {@code name-0 .. name-(n-1)}, each with
     * {@code INSTANCE_ID} in its environment and supervised on its own (PM2's {@code -i},
     * supervisord's {@code numprocs}). {@code Supervisor.scale(name, n)} changes the count at run
     * time. A {@code dependsOn} naming this child waits for every instance.
     *
     * @throws IllegalArgumentException if {@code n} is not in 1..1000, or the name is longer than
     *     {@link #MAX_TEMPLATE_NAME_LENGTH} (60) characters, so that {@code name-999} fits 64
     */
    public Builder instances(int n) {
      if (n < 1 || n > MAX_INSTANCES) {
        throw new IllegalArgumentException("instances must be in 1.." + MAX_INSTANCES + ", got " + n);
      }
      if (name.length() > MAX_TEMPLATE_NAME_LENGTH) {
        throw new IllegalArgumentException("child name '" + abbreviate(name) + "' is " + name.length() + " characters long: with"
            + " instances the limit is " + MAX_TEMPLATE_NAME_LENGTH + ", so that its instance names (up to '" + abbreviate(name)
            + "-" + (MAX_INSTANCES - 1) + "') fit " + MAX_NAME_LENGTH);
      }
      this.instances = n;
      return this;
    }

    /** Gives the child {@code NOTIFY_SOCKET} only, for {@code STATUS=} lines (shown in status). */
    public Builder notifySocket() {
      this.notifySocket = true;
      return this;
    }

    public Builder logs(LogConfig config) {
      this.logs = Objects.requireNonNull(config, "config");
      return this;
    }

    /**
     * Least privilege for the child: user, group, umask, no_new_privs, kept capabilities, resource
     * limits and filesystem/network permissions, enforced by the kernel (see {@link Privileges}).
     */
    public Builder privileges(Privileges privileges) {
      this.privileges = Objects.requireNonNull(privileges, "privileges");
      return this;
    }

    /** Children that must be up before this one starts (and stop after it). Replaces earlier calls. */
    public Builder dependsOn(String... names) {
      return dependsOn(Arrays.asList(names));
    }

    /** As {@link #dependsOn(String...)}. */
    public Builder dependsOn(List<String> names) {
      List<String> deps = new ArrayList<>();
      for (String n : names) {
        Objects.requireNonNull(n, "dependsOn");
        if (n.equals(name)) {
          throw new IllegalArgumentException("child '" + name + "' cannot depend on itself");
        }
        if (!deps.contains(n)) {
          deps.add(n);
        }
      }
      this.dependsOn = deps;
      return this;
    }

    /**
     * Socket activation, as systemd does it: listening sockets the supervisor binds before the
     * first run and keeps while any child declares their address, passed to every run
     * and every instance as descriptors 3, 4, ... in this order, with {@code LISTEN_FDS},
     * {@code LISTEN_PID} and {@code LISTEN_FDNAMES} set ({@code sd_listen_fds(3)} reads them).
     * Connections that arrive during a restart wait in the backlog instead of being refused.
     * Each is {@code [NAME=]tcp:IP:PORT} ({@code tcp:127.0.0.1:8080}, {@code tcp:[::1]:8080},
     * {@code tcp:localhost:8080}) or {@code [NAME=]unix:/absolute/path} (made 0600, owned by the
     * supervisor's user); NAME defaults to {@code tcp-PORT} or the socket file's name. Needs the
     * JDK 22+ process layer (the JDK's own spawn closes every inherited descriptor): elsewhere a
     * run of this child fails to start, saying so. No names clears the list.
     *
     * @throws IllegalArgumentException for an address that cannot be listened on as written, or
     *     two sockets with the same address or name
     */
    public Builder sockets(String... addresses) {
      return sockets(Arrays.asList(Objects.requireNonNull(addresses, "addresses")));
    }

    /** As {@link #sockets(String...)}. */
    public Builder sockets(List<String> addresses) {
      Objects.requireNonNull(addresses, "addresses");
      if (addresses.size() > MAX_SOCKETS) {
        throw new IllegalArgumentException("child '" + name + "' declares " + addresses.size() + " sockets: the limit is "
            + MAX_SOCKETS);
      }
      java.util.Set<String> seenNames = new java.util.HashSet<>();
      java.util.Set<String> seenAddresses = new java.util.HashSet<>();
      for (String a : addresses) {
        dev.supervisor.internal.ListenAddress parsed = dev.supervisor.internal.ListenAddress.parse(
            Objects.requireNonNull(a, "addresses"), Optional.empty());
        if (!seenAddresses.add(parsed.address())) {
          throw new IllegalArgumentException("child '" + name + "' declares " + parsed.address() + " twice");
        }
        if (!seenNames.add(parsed.name())) {
          throw new IllegalArgumentException("child '" + name + "' has two sockets named '" + parsed.name() + "': give one"
              + " a name of its own, like \"admin=" + parsed.address() + "\"");
        }
      }
      this.sockets = new ArrayList<>(addresses);
      return this;
    }

    /**
     * Builds the spec.
     *
     * @throws IllegalStateException if no argv was given
     */
    public ChildSpec build() {
      if (argv.isEmpty()) {
        throw new IllegalStateException("child '" + name + "' has no command: call argv(...)");
      }
      if (readiness != null && notifyReadyTimeout != null) {
        throw new IllegalStateException("child '" + name + "' has both a readiness probe and readinessNotify: choose one");
      }
      return new ChildSpec(this);
    }
  }
}
