package dev.supervisor.functional;

import static dev.supervisor.testsupport.TestChildren.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.Backoff;
import dev.supervisor.ChildState;
import dev.supervisor.LogConfig;
import dev.supervisor.RestartMode;
import dev.supervisor.RestartPolicy;
import dev.supervisor.Supervisor;
import dev.supervisor.internal.LogFiles;
import dev.supervisor.testsupport.SupervisorMain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The supervisor's files are private whatever the umask: its home and every directory in it
 * 0700, every file 0600; what an older version left open is tightened at start, said in one line.
 */
class FileModesTest extends SupervisorFixture {
  private static final String STATE = "{\"schemaVersion\":1,\"savedAt\":\"2026-01-01T00:00:00Z\",\"children\":[]}\n";

  @Test
  void everyFileAndDirectoryOfARunningSupervisorIsOwnerOnly() throws Exception {
    home = home.resolve("fresh/home"); // made by the supervisor: 0700 too
    Supervisor s = start(b -> b.logCheckInterval(Duration.ofMillis(100)),
        sh("crasher", "for i in $(seq 1 60); do echo line-$i; done; exit 3")
            .restartPolicy(RestartPolicy.of(RestartMode.ON_FAILURE, Backoff.fixed(Duration.ofMillis(20))).giveUpAfter(2, Duration.ofMinutes(1)))
            .build(),
        sh("gz", "head -c 300000 /dev/zero; exec sleep 1000").logs(LogConfig.rotating(100_000, 3, true)).build(),
        sh("plain", "head -c 300000 /dev/zero; exec sleep 1000").logs(LogConfig.rotating(100_000, 3, false)).build());
    await().atMost(WAIT).until(() -> child(s, "crasher").state() == ChildState.FATAL && s.incidents("crasher").size() == 3);
    Path logs = home.resolve("logs");
    await().atMost(WAIT).until(() -> Files.exists(LogFiles.rotated(logs.resolve("gz.log"), 1, true))
        && Files.exists(LogFiles.rotated(logs.resolve("plain.log"), 1, false)) && Files.exists(home.resolve("state.json.bak")));
    assertThat(notOwnerOnly(home.getParent())).isEmpty(); // while it runs
    s.close();

    assertThat(notOwnerOnly(home.getParent())).isEmpty();
    assertThat(relativeNames(home)).contains("logs", "logs/crasher.log", "logs/gz.log", "logs/gz.log.1.gz", "logs/plain.log",
        "logs/plain.log.1", "logs/supervisor-events.jsonl", "incidents", "incidents/crasher.jsonl", "state.json",
        "state.json.bak", "supervisor.pid");
  }

  @Test
  void aSupervisorJvmUnderUmask022WritesOwnerOnlyFiles() throws Exception {
    Process jvm = SupervisorMain.launchWithUmask("022", home, "--no-breaker",
        "talker=for i in $(seq 1 60); do echo line-$i; done; sleep 0.2; exit 3",
        "big=head -c 11000000 /dev/zero; exec sleep 1000"); // past the default 10 MiB: rotated and gzipped
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(home.resolve("ready"))
          && Files.exists(home.resolve("incidents/talker.jsonl")) && Files.exists(home.resolve("logs/big.log.1.gz"))
          && Files.exists(home.resolve("state.json.bak")) && Files.exists(home.resolve("logs/supervisor-events.jsonl")));
      assertThat(umaskOf(jvm.pid())).as("the supervisor JVM's umask").isEqualTo("0022");
    } finally {
      jvm.destroy(); // SIGTERM: its shutdown hook stops the children
      assertThat(jvm.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    List<String> loose = notOwnerOnly(home);
    loose.removeIf(l -> l.startsWith(home.resolve("ready") + " ")); // the test harness's, not the supervisor's
    assertThat(loose).isEmpty();
    assertThat(relativeNames(home)).contains("logs/talker.log", "logs/big.log", "logs/big.log.1.gz", "incidents/talker.jsonl",
        "state.json", "state.json.bak", "supervisor.pid");
  }

  @Test
  void filesAnOlderVersionLeftOpenAreTightenedAtStartInOneLine(@TempDir Path elsewhere) throws Exception {
    Path outside = Files.writeString(elsewhere.resolve("not-ours"), "x");
    chmod(outside, "rw-r--r--");
    for (String d : List.of("logs", "incidents", "run")) {
      chmod(Files.createDirectories(home.resolve(d)), "rwxr-xr-x");
    }
    for (String f : List.of("logs/old.log", "logs/old.log.1.gz", "logs/supervisor-events.jsonl", "incidents/old.jsonl",
        "state.json", "state.json.bak", "state.json.tmp", "supervisor.pid", "notes.txt")) {
      chmod(Files.writeString(home.resolve(f), f.startsWith("state") ? STATE : ""), "rw-r--r--");
    }
    Files.createSymbolicLink(home.resolve("logs/link.log"), outside);

    String output = stderrOf(() -> start(sh("sleeper", "exec sleep 1000").build()).awaitHealthy(WAIT));

    // supervisor.pid is made 0600 when the lock is taken, just before: 7 files, not 8
    assertThat(output.lines().filter(l -> l.contains("tightened")).toList()).singleElement().asString()
        .endsWith("tightened 7 files and 3 directories under " + home + " to 0600/0700 (they were open to other users)");
    assertThat(notOwnerOnly(home)).containsExactly(home.resolve("notes.txt") + " rw-r--r--"); // not the supervisor's
    assertThat(mode(outside)).as("a link is never followed").isEqualTo("rw-r--r--");
    assertThat(Files.isSymbolicLink(home.resolve("logs/link.log"))).isTrue();
    supervisors.get(0).close();

    String again = stderrOf(() -> start(sh("sleeper", "exec sleep 1000").build()).awaitHealthy(WAIT));
    assertThat(again).doesNotContain("tightened");
  }

  /** {@code "<path> <mode>"} of every file that is not rw------- and every directory that is not rwx------, links left out. */
  static List<String> notOwnerOnly(Path root) throws IOException {
    List<String> out = new ArrayList<>();
    // a tree walk, not Files.walk: the state writer's temp file may be renamed away between the listing and the look
    Files.walkFileTree(root, new java.nio.file.SimpleFileVisitor<>() {
      @Override
      public java.nio.file.FileVisitResult preVisitDirectory(Path dir, java.nio.file.attribute.BasicFileAttributes a) throws IOException {
        check(dir, "rwx------");
        return java.nio.file.FileVisitResult.CONTINUE;
      }

      @Override
      public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes a) throws IOException {
        if (!a.isSymbolicLink()) {
          check(file, "rw-------");
        }
        return java.nio.file.FileVisitResult.CONTINUE;
      }

      @Override
      public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
          return java.nio.file.FileVisitResult.CONTINUE; // gone while we looked
        }
        throw e;
      }

      private void check(Path p, String expected) throws IOException {
        try {
          String m = mode(p);
          if (!m.equals(expected)) {
            out.add(p + " " + m);
          }
        } catch (NoSuchFileException e) {
          // a temp file renamed away while we looked
        }
      }
    });
    return out;
  }

  static List<String> relativeNames(Path root) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      return all.map(p -> root.relativize(p).toString()).toList();
    }
  }

  static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
  }

  static void chmod(Path p, String mode) throws IOException {
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
  }

  /** The {@code Umask:} of a process, from {@code /proc/<pid>/status}. */
  static String umaskOf(long pid) throws IOException {
    return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("Umask:"))
        .map(l -> l.substring("Umask:".length()).trim()).findFirst().orElseThrow();
  }

  /** What {@code action} wrote to System.err (slf4j-simple writes there), still passed through. */
  static String stderrOf(ThrowingRunnable action) throws Exception {
    PrintStream old = System.err;
    ByteArrayOutputStream copy = new ByteArrayOutputStream();
    System.setErr(new PrintStream(new OutputStream() {
      @Override
      public void write(int b) {
        copy.write(b);
        old.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        copy.write(b, off, len);
        old.write(b, off, len);
      }
    }, true, StandardCharsets.UTF_8));
    try {
      action.run();
    } finally {
      System.setErr(old);
    }
    return copy.toString(StandardCharsets.UTF_8);
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }
}
