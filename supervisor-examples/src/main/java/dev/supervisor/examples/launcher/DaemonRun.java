package dev.supervisor.examples.launcher;

import dev.supervisor.ChildSpec;
import dev.supervisor.ConfigException;
import dev.supervisor.Supervisor;
import dev.supervisor.SupervisorConfig;
import dev.supervisor.event.ChildStateChanged;
import dev.supervisor.event.SupervisorStateChanged;
import dev.supervisor.examples.http.HttpApi;
import dev.supervisor.examples.tools.ApprovalKeys;
import dev.supervisor.examples.tools.Policy;
import dev.supervisor.ipc.control.ControlServer;
import dev.supervisor.ipc.control.Roles;
import dev.supervisor.ipc.notify.ChildNotifySockets;
import dev.supervisor.ipc.systemd.SystemdNotifier;
import dev.supervisor.persist.AlreadyRunningException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;

/**
 * {@code agentd daemon run}: the supervisor in the foreground, with its control socket, the HTTP
 * API when asked, systemd notification when under systemd, and SIGHUP as a reload.
 */
final class DaemonRun {
  private DaemonRun() {}

  static int run(Agentd top) throws Exception {
    AgentdHome h = top.home();
    List<ChildSpec> children;
    Supervisor.Builder b = Supervisor.builder(h.root()).recovery(top.orphanPolicy())
        .notifySockets(ChildNotifySockets.create()); // for config children with "readiness": "notify" or a watchdog
    if (top.config != null) { // the user's children: no keys, policy, workspace or work directories of the trio
      try {
        SupervisorConfig cfg = SupervisorConfig.load(top.config);
        cfg.applyTo(b);
        children = cfg.children();
      } catch (ConfigException e) {
        top.err().println("agentd: " + e.getMessage());
        return 2;
      }
      dev.supervisor.persist.OwnerOnly.createDirectories(h.root());
    } else {
      Optional<ChildUser> childUser;
      try {
        childUser = ChildUser.resolve(top.childUser);
        if (childUser.isPresent()) {
          childUser.get().checkReachable(h);
        }
      } catch (IOException e) {
        top.err().println("agentd: " + e.getMessage());
        return 2;
      }
      h.createDirectories();
      ApprovalKeys.prepare(h, top.out()::println); // the validator's private key, the executor's public key
      Policy.installDefault(h.policy(), top.out()::println); // the children only read it
      dev.supervisor.persist.OwnerOnly.createFile(h.audit());
      try {
        children = Trio.specs(h, System.getenv(), childUser, Policy.load(h.policy(), h.workspace()).allowedExecutables());
      } catch (IllegalArgumentException e) { // AGENTD_APPROVAL_TTL out of bounds
        top.err().println("agentd: " + e.getMessage());
        return 2;
      }
      if (childUser.isPresent()) {
        childUser.get().prepare(h);
      }
      b.children(children);
    }
    PrintWriter out = top.out();
    Supervisor sup = b.listener(e -> {
      if (e instanceof ChildStateChanged c) {
        out.printf("%s %-10s %s -> %s%s%n", c.at(), c.name(), c.from(), c.to(), c.exit().map(x -> " (" + x + ")").orElse(""));
      } else if (e instanceof SupervisorStateChanged s) {
        out.printf("%s supervisor %s -> %s%n", s.at(), s.from(), s.to());
      }
      out.flush();
    }, Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "agentd-events");
      t.setDaemon(true);
      return t;
    })).build();
    // what a reload reads: the config file again; the built-in trio's specs come from code, so it has nothing to re-read
    dev.supervisor.ConfigSource source = top.config != null ? () -> SupervisorConfig.load(top.config).children() : sup::children;
    DaemonRun.installReloadOnHangup(sup, source, out, top.err());
    try {
      sup.startAsync();
    } catch (AlreadyRunningException e) {
      top.err().println("agentd: " + e.getMessage().replace("supervisor", "agentd") + ", home " + h.root());
      return 1;
    }
    try { // what 'daemon upgrade' starts the successor with
      Path args = h.root().resolve("run").resolve("daemon.args");
      dev.supervisor.persist.OwnerOnly.createDirectories(args.getParent());
      dev.supervisor.persist.OwnerOnly.createFile(args);
      java.nio.file.Files.writeString(args, new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(top.daemonOptions()) + "\n");
    } catch (IOException e) {
      top.err().println("agentd: cannot record the options for 'daemon upgrade' in " + h.root().resolve("run") + ": " + e.getMessage());
    }
    HttpApi api = null;
    Path httpAddr = h.root().resolve("run").resolve("http.addr");
    try (ControlServer control = ControlServer.serve(sup, h.controlSocket(), Roles.ownerOnly(), source)) {
      java.nio.file.Files.deleteIfExists(httpAddr); // a previous run's: login-url must not point at a port we left
      if (top.http != null) {
        try {
          api = HttpApi.start(sup, top.httpAddress(), h.root().resolve("http.token"));
        } catch (IOException e) {
          top.err().println("agentd: " + e.getMessage());
          sup.close();
          return 1;
        }
        java.net.InetSocketAddress a = api.address();
        dev.supervisor.persist.OwnerOnly.createFile(httpAddr);
        java.nio.file.Files.writeString(httpAddr, dev.supervisor.examples.http.LoginCodes.hostPort(a) + "\n");
        out.println("agentd dashboard on http://" + a.getHostString() + ":" + a.getPort() + "/");
        out.println("dashboard login (works once, within " + dev.supervisor.examples.http.LoginCodes.LIFETIME.toMinutes()
            + " minutes; 'agentd daemon login-url' for another): " + api.loginUrl());
      }
      Optional<SystemdNotifier> notifier = SystemdNotifier.fromEnvironment();
      notifier.ifPresent(n -> n.attach(sup));
      out.println("agentd supervising " + children.size() + " children, home " + h.root() + ", control " + control.socket());
      out.flush();
      sup.awaitStopped(Duration.ofDays(36500));
      notifier.ifPresent(SystemdNotifier::close);
    } catch (IOException e) {
      top.err().println("agentd: cannot serve " + h.controlSocket() + ": " + e.getMessage());
      sup.close();
      return 1;
    } finally {
      if (api != null) {
        api.close();
        java.nio.file.Files.deleteIfExists(httpAddr);
      }
    }
    return sup.failureCause().isPresent() ? 1 : 0;
  }

  /**
   * SIGHUP reloads, as 'daemon reload' does, and never stops a child or the supervisor (the JVM's
   * default would run the shutdown hooks). The reload runs on a thread of its own: a signal
   * handler must return at once.
   */
  static void installReloadOnHangup(Supervisor sup, dev.supervisor.ConfigSource source, PrintWriter out, PrintWriter err) {
    sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> {
      Thread t = new Thread(() -> {
        try {
          dev.supervisor.ReloadResult r = sup.reload(source, Duration.ofSeconds(60));
          out.println("agentd: SIGHUP: reloaded: added " + r.added() + ", removed " + r.removed() + ", restarted " + r.restarted()
              + ", unchanged " + r.unchanged());
          out.flush();
        } catch (Exception e) { // invalid config (already logged and evented), a child not coming back, not running yet
          err.println("agentd: SIGHUP: reload refused: " + e.getMessage());
          err.flush();
        }
      }, "agentd-reload");
      t.setDaemon(true);
      t.start();
    });
  }
}
