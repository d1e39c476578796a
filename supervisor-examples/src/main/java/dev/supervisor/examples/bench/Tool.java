package dev.supervisor.examples.bench;

import dev.supervisor.examples.launcher.Trio;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** One supervisor under comparison: how to run N {@code sleep} children with it, find its processes, ask its status. */
abstract class Tool {
  final Path dir;
  Process main;

  Tool(Path dir) {
    this.dir = dir;
  }

  abstract String name();

  abstract String version() throws Exception;

  /** The configuration used, for the report. */
  abstract String configuration();

  abstract void start(List<String> commands) throws Exception;

  /** The supervisor's own processes, main one first. */
  abstract List<Long> supervisorPids() throws Exception;

  abstract List<String> statusCommand();

  void check() throws Exception {
    version();
  }

  ProcessBuilder command(List<String> cmd) {
    return new ProcessBuilder(cmd).directory(dir.toFile());
  }

  void launch(List<String> cmd) throws IOException {
    main = command(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("tool.log").toFile()).start();
  }

  void stop() throws Exception {
    if (main != null && main.isAlive()) {
      main.destroy();
      if (!main.waitFor(60, TimeUnit.SECONDS)) {
        main.destroyForcibly();
      }
    }
  }

  void fresh() throws IOException {
    if (Files.exists(dir)) {
      try (var s = Files.walk(dir)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    Files.createDirectories(dir);
  }

  static String run(ProcessBuilder pb) throws Exception {
    Process p = pb.redirectErrorStream(true).start();
    return CompareBench.read(p);
  }

  // ------------------------------------------------------------------ agentd
  static final class Agentd extends Tool {
    static final List<String> DAEMON_FLAGS = Trio.DAEMON_JVM_FLAGS;

    Agentd(Path dir) {
      super(dir);
    }

    @Override String name() { return "agentd"; }

    @Override String version() {
      return "supervisor 0.1.0-SNAPSHOT on Java " + NEWEST.version() + " (" + NEWEST.java() + ", the newest JDK installed here"
          + (NEWEST.feature() >= 22 ? "; process layer ffm when the jar was built on JDK 22+" : "") + ")";
    }

    /** A JDK: its java binary, its version string and feature number. */
    record Jdk(Path java, String version, int feature) {}

    /** The JDK agentd runs on here: the newest installed ({@code /usr/lib/jvm/*}, {@code $JAVA_HOME}, this JVM's own). */
    static final Jdk NEWEST = newestJdk();

    static Jdk newestJdk() {
      Jdk best = new Jdk(Path.of(System.getProperty("java.home"), "bin", "java"), Runtime.version().toString(), Runtime.version().feature());
      List<Path> homes = new ArrayList<>();
      try (java.util.stream.Stream<Path> s = Files.list(Path.of("/usr/lib/jvm"))) {
        s.forEach(homes::add);
      } catch (java.io.IOException e) {
        // none there
      }
      if (System.getenv("JAVA_HOME") != null) {
        homes.add(Path.of(System.getenv("JAVA_HOME")));
      }
      for (Path home : homes) {
        Path java = home.resolve("bin/java");
        if (!Files.isExecutable(java)) {
          continue;
        }
        try {
          for (String line : Files.readAllLines(home.resolve("release"))) {
            if (line.startsWith("JAVA_VERSION=")) {
              String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
              int feature = Integer.parseInt(v.split("[.+-]")[0]);
              if (feature > best.feature()) {
                best = new Jdk(java.toRealPath(), v, feature);
              }
            }
          }
        } catch (java.io.IOException | RuntimeException e) {
          // not a JDK with a release file
        }
      }
      return best;
    }

    /** {@code Trio.javaCommand} with the newest JDK's java in place of this JVM's. */
    static List<String> onNewest(List<String> cmd) {
      List<String> out = new ArrayList<>(cmd);
      out.set(0, NEWEST.java().toString());
      if (NEWEST.feature() >= 22 && out.stream().noneMatch(a -> a.startsWith("--enable-native-access"))) {
        out.add(1, "--enable-native-access=ALL-UNNAMED");
      }
      return out;
    }

    @Override String configuration() {
      return "`agentd --config children.json daemon run`, JVM flags `" + String.join(" ", DAEMON_FLAGS)
          + "`; each child `{\"restart\":\"always\",\"backoff\":{\"initial\":\"0s\",\"max\":\"0s\"},\"maxRestarts\":0}`"
          + " (zero delay, never give up), default logs (one rotated file per child)";
    }

    @Override void start(List<String> commands) throws Exception {
      fresh();
      StringBuilder sb = new StringBuilder("{\"children\":[");
      for (int i = 0; i < commands.size(); i++) {
        String[] c = commands.get(i).split(" ");
        sb.append(i == 0 ? "" : ",").append("{\"name\":\"c").append(i).append("\",\"command\":[\"").append(c[0]).append("\",\"")
            .append(c[1]).append("\"],\"restart\":\"always\",\"backoff\":{\"initial\":\"0s\",\"max\":\"0s\"},\"maxRestarts\":0}");
      }
      Files.writeString(dir.resolve("children.json"), sb.append("]}").toString());
      List<String> cmd = onNewest(Trio.javaCommand(dev.supervisor.examples.launcher.Agentd.class, DAEMON_FLAGS.toArray(String[]::new)));
      cmd.addAll(List.of("--home", dir.toString(), "--config", dir.resolve("children.json").toString(), "daemon", "run"));
      launch(cmd);
    }

    @Override List<Long> supervisorPids() { return List.of(main.pid()); }

    @Override List<String> statusCommand() {
      List<String> cmd = onNewest(Trio.javaCommand(dev.supervisor.examples.launcher.Agentd.class, Trio.CLI_JVM_FLAGS.toArray(String[]::new)));
      cmd.addAll(List.of("--home", dir.toString(), "daemon", "status", "--json"));
      return cmd;
    }
  }

  // ------------------------------------------------------------------ supervisord
  static final class Supervisord extends Tool {
    Supervisord(Path dir) {
      super(dir);
    }

    @Override String name() { return "supervisord"; }

    @Override String version() throws Exception { return "supervisord " + run(new ProcessBuilder("supervisord", "--version")); }

    @Override String configuration() {
      return "`supervisord -n -c supervisord.conf`; each `[program:cN]` with `autorestart=true`, `startsecs=0`, `startretries=1000000`"
          + " (supervisord has no restart delay setting; its main loop wakes once a second)";
    }

    @Override void start(List<String> commands) throws Exception {
      fresh();
      StringBuilder c = new StringBuilder();
      c.append("[supervisord]\nnodaemon=true\nlogfile=").append(dir.resolve("supervisord.log")).append("\npidfile=")
          .append(dir.resolve("supervisord.pid")).append("\nchildlogdir=").append(dir).append("\n\n[unix_http_server]\nfile=")
          .append(dir.resolve("s.sock")).append("\n\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = ")
          .append("supervisor.rpcinterface:make_main_rpcinterface\n\n[supervisorctl]\nserverurl=unix://").append(dir.resolve("s.sock")).append("\n");
      for (int i = 0; i < commands.size(); i++) {
        c.append("\n[program:c").append(i).append("]\ncommand=").append(commands.get(i))
            .append("\nautorestart=true\nstartsecs=0\nstartretries=1000000\n");
      }
      Files.writeString(dir.resolve("supervisord.conf"), c.toString());
      launch(List.of("supervisord", "-n", "-c", dir.resolve("supervisord.conf").toString()));
    }

    @Override List<Long> supervisorPids() { return List.of(main.pid()); }

    @Override List<String> statusCommand() { return List.of("supervisorctl", "-c", dir.resolve("supervisord.conf").toString(), "status"); }
  }

  // ------------------------------------------------------------------ runit
  static final class Runit extends Tool {
    private int services;

    Runit(Path dir) {
      super(dir);
    }

    @Override String name() { return "runit"; }

    @Override String version() throws Exception {
      return "runit " + run(new ProcessBuilder("dpkg-query", "-W", "-f=${Version}", "runit"));
    }

    @Override String configuration() {
      return "`runsvdir -P service/` on a private service directory, one `runsv` per child with `run` = `exec sleep N`"
          + " (runit restarts at once, but waits 1 s between starts of a child that lived under 1 s:"
          + " every child here lives over 1.1 s before it is killed)";
    }

    @Override void start(List<String> commands) throws Exception {
      fresh();
      Path svc = Files.createDirectories(dir.resolve("service"));
      for (int i = 0; i < commands.size(); i++) {
        Path d = Files.createDirectories(svc.resolve("c" + i));
        Path run = d.resolve("run");
        Files.writeString(run, "#!/bin/sh\nexec " + commands.get(i) + "\n");
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
      services = commands.size();
      launch(List.of("runsvdir", "-P", svc.toString()));
    }

    @Override List<Long> supervisorPids() {
      List<Long> out = new ArrayList<>();
      out.add(main.pid());
      out.addAll(ProcScan.childrenOf(main.pid()));
      return out;
    }

    @Override List<String> statusCommand() {
      List<String> cmd = new ArrayList<>(List.of("sv", "status"));
      for (int i = 0; i < services; i++) {
        cmd.add(dir.resolve("service").resolve("c" + i).toString());
      }
      return cmd;
    }

    @Override void stop() throws Exception {
      if (main != null && main.isAlive()) {
        new ProcessBuilder("kill", "-HUP", Long.toString(main.pid())).start().waitFor(); // runsvdir: TERM every runsv, then exit
        if (!main.waitFor(60, TimeUnit.SECONDS)) {
          main.destroyForcibly();
        }
      }
    }
  }

  // ------------------------------------------------------------------ pm2
  static final class Pm2 extends Tool {
    private final Path pm2;

    Pm2(Path dir, Path pm2) {
      super(dir);
      this.pm2 = pm2;
    }

    @Override String name() { return "PM2"; }

    @Override void check() throws Exception {
      if (!Files.isExecutable(pm2)) {
        throw new IllegalStateException("pm2 not found at " + pm2 + ": run supervisor-examples/bench/compare.sh, or pass --pm2 PATH");
      }
    }

    @Override String version() throws Exception {
      // never `pm2 --version`: it starts a daemon in ~/.pm2
      Path pkg = pm2.toRealPath().getParent().getParent().resolve("package.json");
      String json = Files.readString(pkg);
      String v = json.replaceAll("(?s).*\"version\"\\s*:\\s*\"([^\"]+)\".*", "$1");
      return "PM2 " + v + " on node " + run(new ProcessBuilder("node", "--version"));
    }

    @Override String configuration() {
      return "`pm2 start ecosystem.json` with a private `PM2_HOME` (its `touch` file created first, `PM2_DISABLE_VERSION_CHECK=1`:"
          + " no version check leaves the machine); each app `{\"script\":\"sleep\",\"interpreter\":\"none\",\"autorestart\":true,"
          + "\"restart_delay\":0,\"max_restarts\":100000000}`";
    }

    @Override ProcessBuilder command(List<String> cmd) {
      ProcessBuilder pb = super.command(cmd);
      Map<String, String> env = pb.environment();
      env.put("PM2_HOME", dir.resolve("home").toString());
      env.put("PM2_DISABLE_VERSION_CHECK", "1");
      env.put("HOME", dir.toString());
      return pb;
    }

    @Override void start(List<String> commands) throws Exception {
      fresh();
      Files.createDirectories(dir.resolve("home"));
      Files.createFile(dir.resolve("home").resolve("touch"));
      StringBuilder sb = new StringBuilder("{\"apps\":[");
      for (int i = 0; i < commands.size(); i++) {
        String[] c = commands.get(i).split(" ");
        sb.append(i == 0 ? "" : ",").append("{\"name\":\"c").append(i).append("\",\"script\":\"").append(c[0]).append("\",\"args\":\"")
            .append(c[1]).append("\",\"interpreter\":\"none\",\"autorestart\":true,\"restart_delay\":0,\"max_restarts\":100000000}");
      }
      Files.writeString(dir.resolve("ecosystem.json"), sb.append("]}").toString());
      Process p = command(List.of(pm2.toString(), "start", dir.resolve("ecosystem.json").toString()))
          .redirectErrorStream(true).redirectOutput(dir.resolve("start.log").toFile()).start();
      if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("pm2 start failed: " + Files.readString(dir.resolve("start.log")));
      }
    }

    @Override List<Long> supervisorPids() throws Exception {
      return List.of(Long.parseLong(Files.readString(dir.resolve("home").resolve("pm2.pid")).trim()));
    }

    @Override List<String> statusCommand() { return List.of(pm2.toString(), "jlist"); }

    @Override void stop() throws Exception {
      if (Files.exists(dir.resolve("home").resolve("pm2.pid"))) {
        Process p = command(List.of(pm2.toString(), "kill")).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        p.waitFor(120, TimeUnit.SECONDS);
      }
    }
  }
}
