package dev.supervisor.functional;

import static dev.supervisor.testsupport.TestChildren.fast;
import static dev.supervisor.testsupport.TestChildren.sleeps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.Supervisor;
import dev.supervisor.internal.NativeSpawns;
import dev.supervisor.internal.SystemProcessLauncher;
import dev.supervisor.testsupport.Pids;
import dev.supervisor.testsupport.ProcessLeakGuard;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Socket activation against real processes: the supervisor binds {@code "sockets"} once, every
 * run and instance gets them as descriptors 3, 4, ... with systemd's {@code LISTEN_*} variables,
 * and they stay bound across restarts, so clients are queued rather than refused. The child is a
 * perl accept loop (perl is part of every Debian and Ubuntu base system) that answers each
 * connection with its pid and what it was given.
 */
class SocketActivationTest extends SupervisorFixture {
  /**
   * Accepts on every LISTEN_FDS descriptor; answers "pid=P listen_pid=L fds=N names=A:B". On
   * SIGTERM it answers the connection in hand and exits, as a well-behaved server does; a SIGKILL
   * can still drop one it had accepted.
   */
  static final String SERVER = String.join("\n",
      "use strict; use POSIX (); my @s; my $bits = ''; my $stop = 0; $SIG{TERM} = sub { $stop = 1 };",
      "for my $i (0 .. $ENV{LISTEN_FDS} - 1) { my $h;",
      // MOVE_SOCKETS=1: as Go's activation package does, the socket is copied to another descriptor and 3.. closed
      "  if ($ENV{MOVE_SOCKETS}) { open($h, '+<&', 3 + $i) or die \"dup: $!\"; POSIX::close(3 + $i); }",
      "  else { open($h, '+<&=', 3 + $i) or die 'fd ' . (3 + $i) . \": $!\"; }",
      "  push @s, $h; vec($bits, fileno($h), 1) = 1; }",
      "while (!$stop) { my $r = $bits; select($r, undef, undef, undef) > 0 or next;",
      "  for my $h (@s) { next unless vec($r, fileno($h), 1); if (accept(my $c, $h)) {",
      "    print $c \"pid=$$ listen_pid=$ENV{LISTEN_PID} fds=$ENV{LISTEN_FDS} names=$ENV{LISTEN_FDNAMES}\\n\"; close $c; } } }",
      "exit 0;");

  private static ChildSpec.Builder server(String name, String... sockets) {
    return ChildSpec.builder(name).argv("perl", "-e", SERVER).env(ProcessLeakGuard.MARK_VAR, ProcessLeakGuard.mark())
        .restartPolicy(fast()).stopGrace(Duration.ofSeconds(2)).sockets(sockets);
  }

  private static void assumeNativeSpawn() {
    assumeThat(NativeSpawns.active()).as("socket activation needs the JDK 22+ posix_spawn layer (this is JDK %d)",
        Runtime.version().feature()).isTrue();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static String askTcp(int port) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(10_000); // a restart in progress: the connection waits in the backlog until a run accepts it
      return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
    }
  }

  private static String askUnix(Path path) throws IOException {
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(path));
      ByteBuffer buf = ByteBuffer.allocate(512);
      while (c.read(buf) >= 0 && buf.position() < buf.capacity()) {
        // until the server closes
      }
      return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).trim();
    }
  }

  private static Set<Integer> openFds(long pid) throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return fds.map(p -> Integer.parseInt(p.getFileName().toString())).collect(java.util.stream.Collectors.toCollection(TreeSet::new));
    }
  }

  /** With {@code name} stopped, a connection is made (no process accepts: the backlog holds it); the next run answers it. */
  private static void assertAQueuedConnectionIsAnsweredByTheNextRun(Supervisor s, String name, int port, long before)
      throws IOException {
    try (Socket waiting = new Socket()) {
      waiting.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      waiting.setSoTimeout(10_000);
      s.start(name);
      String line = new BufferedReader(new InputStreamReader(waiting.getInputStream(), StandardCharsets.UTF_8)).readLine();
      assertThat(line).startsWith("pid=" + pid(s, name) + " ").doesNotStartWith("pid=" + before + " ");
    }
  }

  @Test
  void aChildGetsItsSocketsAsDescriptorsFromThreeWithTheSystemdVariablesAndNothingElse() throws Exception {
    assumeNativeSpawn();
    int port = freePort();
    Path unix = home.resolve("api.sock");
    Supervisor s = start(server("web", "tcp:127.0.0.1:" + port, "unix:" + unix).build());
    await().atMost(WAIT).until(() -> child(s, "web").state() == ChildState.RUNNING);
    long pid = pid(s, "web");

    assertThat(askTcp(port)).isEqualTo("pid=" + pid + " listen_pid=" + pid + " fds=2 names=tcp-" + port + ":api.sock");
    assertThat(askUnix(unix)).startsWith("pid=" + pid + " ");
    assertThat(openFds(pid)).containsExactly(0, 1, 2, 3, 4); // the JVM's descriptors, the notify and control sockets: none
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(unix))).isEqualTo("rw-------");

    s.close();
    assertThatThrownBy(() -> askTcp(port)).isInstanceOf(ConnectException.class); // closed with the supervisor
    assertThat(unix).doesNotExist();
  }

  /** A client that connects again and again until closed, counting answers, refusals and anything else. */
  private static final class ClientLoop implements AutoCloseable {
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicInteger answered = new AtomicInteger();
    final AtomicInteger refused = new AtomicInteger();
    /** Accepted, then closed unanswered: only a SIGKILLed run does that. */
    final AtomicInteger dropped = new AtomicInteger();
    final Set<String> servedBy = ConcurrentHashMap.newKeySet();
    final List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    final Thread thread;

    ClientLoop(int port) {
      thread = new Thread(() -> {
        while (running.get()) {
          try {
            String line = askTcp(port);
            if (line == null) {
              dropped.incrementAndGet();
            } else {
              servedBy.add(line.substring(0, line.indexOf(' ')));
              answered.incrementAndGet();
            }
          } catch (ConnectException e) {
            refused.incrementAndGet();
          } catch (IOException e) {
            failures.add(e.toString());
          }
        }
      }, "socket-activation-client");
      thread.start();
    }

    /** Waits for {@code n} more answers. */
    void answers(int n) {
      int after = answered.get();
      await().atMost(WAIT).until(() -> answered.get() >= after + n);
    }

    long servedByOtherThan(Set<String> pids) {
      return servedBy.stream().filter(p -> !pids.contains(p)).count();
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join(15_000);
    }
  }

  private static Set<String> pids(Supervisor s, String... names) {
    Set<String> out = new java.util.HashSet<>();
    for (String n : names) {
      out.add("pid=" + pid(s, n));
    }
    return out;
  }

  @Test
  void theSocketsOutliveARunSoAClientDuringARestartWaitsInsteadOfBeingRefused() throws Exception {
    assumeNativeSpawn();
    int port = freePort();
    Supervisor s = start(server("web", "tcp:127.0.0.1:" + port).instances(2).build());
    await().atMost(WAIT).until(() -> s.status().children().stream().allMatch(c -> c.state() == ChildState.RUNNING));
    Set<String> before = pids(s, "web-0", "web-1");
    ClientLoop client = new ClientLoop(port);
    try (client) {
      client.answers(20);
      assertThat(s.rollingRestart(WAIT)).containsExactly("web-0", "web-1");
      s.restart("web-0");
      Pids.kill9(pid(s, "web-1")); // a crash: its instance comes back on the same socket
      await().atMost(WAIT).until(() -> client.servedByOtherThan(before) >= 2);
      client.answers(20);
    }
    assertThat(client.refused.get()).as("connections refused during the restarts").isZero();
    assertThat(client.failures).isEmpty();
    assertThat(client.dropped.get()).as("connections the SIGKILLed run had accepted").isLessThanOrEqualTo(1);
    assertThat(client.servedBy.size()).as("runs that answered: %s", client.servedBy).isGreaterThanOrEqualTo(4);
  }

  @Test
  void afterAHandOverTheNextSupervisorTakesTheSocketsBackFromTheRunningInstances() throws Exception {
    assumeNativeSpawn();
    int port = freePort();
    Path unix = home.resolve("web.sock");
    ChildSpec web = server("web", "tcp:127.0.0.1:" + port, "unix:" + unix).instances(2).build();
    Supervisor first = start(b -> b.recovery(dev.supervisor.OrphanPolicy.ADOPT), web);
    await().atMost(WAIT).until(() -> first.status().children().stream().allMatch(c -> c.state() == ChildState.RUNNING));
    Set<String> before = pids(first, "web-0", "web-1");
    ClientLoop client = new ClientLoop(port);
    try (client) {
      client.answers(10);
      first.handOver(WAIT);
      first.close();
      assertThat(unix).as("the path the running instances listen on").exists();
      Supervisor second = start(web);
      await().atMost(WAIT).until(() -> second.status().children().stream().allMatch(c -> c.state() == ChildState.RUNNING));
      assertThat(pids(second, "web-0", "web-1")).isEqualTo(before); // adopted
      assertThat(second.rollingRestart(WAIT)).containsExactly("web-0", "web-1");
      Set<String> after = pids(second, "web-0", "web-1");
      assertThat(after).doesNotContainAnyElementsOf(before);
      await().atMost(WAIT).until(() -> client.servedByOtherThan(before) >= 1);
      client.answers(10);
      assertThat(askUnix(unix)).startsWith("pid=").satisfies(line -> assertThat(after).contains(line.substring(0, line.indexOf(' '))));
    }
    assertThat(client.refused.get()).as("connections refused across the hand-over and the restarts").isZero();
    assertThat(client.failures).isEmpty();
    assertThat(client.dropped.get()).as("connections closed unanswered").isZero();
  }

  @Test
  void aConnectionMadeWhileTheChildIsStoppedWaitsForTheNextRun() throws Exception {
    assumeNativeSpawn();
    int port = freePort();
    Supervisor s = start(server("web", "tcp:127.0.0.1:" + port).build());
    await().atMost(WAIT).until(() -> child(s, "web").state() == ChildState.RUNNING);
    long first = pid(s, "web");
    s.stop("web");
    await().atMost(WAIT).until(() -> child(s, "web").state() == ChildState.STOPPED);
    assertAQueuedConnectionIsAnsweredByTheNextRun(s, "web", port, first);
  }

  @Test
  void aReloadKeepsTheSocketsWhoseAddressStaysAndFreesTheOnesNoChildDeclares() throws Exception {
    assumeNativeSpawn();
    int p1 = freePort();
    int p2 = freePort();
    Supervisor s = start(server("web", "tcp:127.0.0.1:" + p1).instances(2).build());
    await().atMost(WAIT).until(() -> s.status().children().stream().allMatch(c -> c.state() == ChildState.RUNNING));
    ClientLoop client = new ClientLoop(p1);
    try (client) {
      client.answers(10);
      // one more socket, and the first renamed: web-1 keeps serving p1 on the old spec while web-0 starts on the new one
      s.reload(List.of(server("web", "front=tcp:127.0.0.1:" + p1, "tcp:127.0.0.1:" + p2).instances(2).build()), WAIT);
      assertThat(askTcp(p2)).contains(" fds=2 names=front:tcp-" + p2);
      client.answers(10);
    }
    assertThat(client.refused.get()).as("connections to the kept address refused during the reload").isZero();
    assertThat(client.dropped.get()).isZero();
    s.reload(List.of(server("web", "tcp:127.0.0.1:" + p2).instances(2).build()), WAIT); // p1 no longer declared
    try (ServerSocket freed = new ServerSocket(p1, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      assertThat(freed.getLocalPort()).isEqualTo(p1);
    }
    s.reload(List.of(sleeps("web").build()), WAIT); // no sockets at all
    try (ServerSocket freed = new ServerSocket(p2, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      assertThat(freed.getLocalPort()).isEqualTo(p2);
    }
  }

  @Test
  void afterAHandOverASingleChildsSocketOutlivesItsFirstStopUnderTheNextSupervisor() throws Exception {
    assumeNativeSpawn();
    int port = freePort();
    ChildSpec web = server("web", "tcp:127.0.0.1:" + port).build();
    Supervisor first = start(b -> b.recovery(dev.supervisor.OrphanPolicy.ADOPT), web);
    await().atMost(WAIT).until(() -> child(first, "web").state() == ChildState.RUNNING);
    long adopted = pid(first, "web");
    first.handOver(WAIT);
    first.close();
    Supervisor second = start(web);
    await().atMost(WAIT).until(() -> child(second, "web").state() == ChildState.RUNNING);
    assertThat(pid(second, "web")).isEqualTo(adopted);
    second.stop("web"); // the only process that held the socket ends: the supervisor took it back at the adoption
    await().atMost(WAIT).until(() -> child(second, "web").state() == ChildState.STOPPED);
    assertAQueuedConnectionIsAnsweredByTheNextRun(second, "web", port, adopted);
  }

  @Test
  void aSocketTheChildMovedToAnotherDescriptorIsStillTakenBackAfterAHandOver() throws Exception {
    assumeNativeSpawn();
    int port = freePort();
    ChildSpec web = server("web", "tcp:127.0.0.1:" + port).env("MOVE_SOCKETS", "1").build();
    Supervisor first = start(b -> b.recovery(dev.supervisor.OrphanPolicy.ADOPT), web);
    await().atMost(WAIT).until(() -> child(first, "web").state() == ChildState.RUNNING);
    long adopted = pid(first, "web");
    await().atMost(WAIT).until(() -> !openFds(adopted).contains(3)); // it moved its socket
    assertThat(askTcp(port)).startsWith("pid=" + adopted + " ");
    first.handOver(WAIT);
    first.close();
    Supervisor second = start(web);
    await().atMost(WAIT).until(() -> child(second, "web").state() == ChildState.RUNNING);
    second.stop("web");
    await().atMost(WAIT).until(() -> child(second, "web").state() == ChildState.STOPPED);
    assertAQueuedConnectionIsAnsweredByTheNextRun(second, "web", port, adopted);
  }

  @Test
  void twoChildrenCannotDeclareOneAddressButInstancesShareTheirs() throws Exception {
    int port = freePort();
    assertThatThrownBy(() -> Supervisor.builder(home).child(server("api", "tcp:127.0.0.1:" + port).build())
        .child(server("admin", "tcp:localhost:" + port).build()).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("children 'api' and 'admin' both declare the socket tcp:127.0.0.1:" + port);
    assertThatThrownBy(() -> dev.supervisor.SupervisorConfig.parse("{\"children\": [{\"name\": \"api\", \"command\": [\"x\"],"
        + " \"sockets\": [\"tcp:127.0.0.1:" + port + "\"]}, {\"name\": \"admin\", \"command\": [\"x\"], \"sockets\":"
        + " [\"tcp:127.0.0.1:" + port + "\"]}]}", "two.json"))
        .isInstanceOf(dev.supervisor.ConfigException.class).hasMessageContaining("two.json: children: children 'api' and 'admin'");
    Supervisor.builder(home).child(server("web", "tcp:127.0.0.1:" + port).instances(3).build()).build().close();
  }

  @Test
  void aChildConfinedByLandlockStillGetsItsSocketsAndRuns() throws Exception {
    assumeNativeSpawn();
    assumeThat(dev.supervisor.internal.Landlock.unavailable()).as("Landlock").isEmpty();
    int port = freePort();
    Supervisor s = start(server("boxed", "tcp:127.0.0.1:" + port).privileges(dev.supervisor.Privileges.builder()
        .permissions(dev.supervisor.Permissions.builder().read(home).build()).build()).build());
    await().atMost(WAIT).until(() -> child(s, "boxed").state() == ChildState.RUNNING);
    assertThat(askTcp(port)).startsWith("pid=" + pid(s, "boxed") + " ");
  }

  @Test
  void aPortInUseFailsOnlyThatChildAndSaysWhy() throws Exception {
    assumeNativeSpawn();
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      Supervisor s = start(server("web", "tcp:127.0.0.1:" + taken.getLocalPort()).restartPolicy(
          dev.supervisor.RestartPolicy.of(dev.supervisor.RestartMode.ON_FAILURE, dev.supervisor.Backoff.fixed(
              Duration.ofMillis(20))).giveUpAfter(1, Duration.ofMinutes(1))).build(), sleeps("other").build());
      await().atMost(WAIT).until(() -> child(s, "web").state() == ChildState.FATAL);
      assertThat(child(s, "web").lastExit().orElseThrow().toString())
          .contains("cannot listen on tcp:127.0.0.1:" + taken.getLocalPort()).contains("errno 98");
      assertThat(child(s, "other").state()).isEqualTo(ChildState.RUNNING);
    }
  }

  @Test
  void theJdkSpawnRefusesAChildWithSocketsAndNamesWhatItNeeds() throws Exception {
    Supervisor s = start(b -> b.processLauncher(SystemProcessLauncher.withSpawn(SystemProcessLauncher.Spawn.JDK)),
        server("web", "tcp:127.0.0.1:" + freePort()).restartPolicy(dev.supervisor.RestartPolicy.of(
            dev.supervisor.RestartMode.NEVER, dev.supervisor.Backoff.fixed(Duration.ofMillis(20)))).build());
    await().atMost(WAIT).until(() -> child(s, "web").lastExit().isPresent());
    assertThat(child(s, "web").lastExit().orElseThrow().toString()).contains("JDK 22");
  }

  @Test
  void aStaleUnixSocketFileIsReplacedAndAnythingElseInTheWayIsNamed() throws Exception {
    assumeNativeSpawn();
    Path stale = home.resolve("stale.sock");
    try (java.nio.channels.ServerSocketChannel old = java.nio.channels.ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      old.bind(UnixDomainSocketAddress.of(stale)); // closed below: its file stays, nobody listens
    }
    Path file = home.resolve("plain");
    Files.writeString(file, "keep me");
    Supervisor s = start(server("web", "unix:" + stale).build(), server("blocked", "unix:" + file).restartPolicy(
        dev.supervisor.RestartPolicy.of(dev.supervisor.RestartMode.NEVER, dev.supervisor.Backoff.fixed(Duration.ofMillis(20))))
        .build());
    await().atMost(WAIT).until(() -> child(s, "web").state() == ChildState.RUNNING && child(s, "blocked").lastExit().isPresent());
    assertThat(askUnix(stale)).startsWith("pid=" + pid(s, "web") + " ");
    assertThat(child(s, "blocked").lastExit().orElseThrow().toString()).contains("a file is in the way");
    assertThat(Files.readString(file)).isEqualTo("keep me");
  }
}
