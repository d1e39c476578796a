package dev.supervisor.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentdHomeTest {
  @TempDir Path dir;

  @Test
  void aNewHomeAndItsDirectoriesAre0700() throws Exception {
    AgentdHome h = new AgentdHome(dir.resolve("new/.agentd"));
    h.createDirectories();
    for (Path d : List.of(dir.resolve("new"), h.root(), h.logs(), h.workspace(), h.root().resolve("work"), h.workDir("validator"),
        h.workDir("executor"), h.workDir("scheduler"))) {
      assertThat(mode(d)).as(d.toString()).isEqualTo("rwx------");
    }
  }

  @Test
  void anExistingHomeOpenToOthersIsTightenedWithTheSupervisorsFilesInOneLineButTheWorkspaceContentsAreLeftAlone() throws Exception {
    AgentdHome h = new AgentdHome(dir.resolve("home"));
    for (Path d : List.of(h.root(), h.logs(), h.workspace())) {
      chmod(Files.createDirectories(d), "rwxr-xr-x");
    }
    // where earlier versions kept the job database: moved into work/scheduler/, and tightened
    chmod(Files.writeString(h.root().resolve("scheduler.db"), ""), "rw-r--r--");
    chmod(Files.writeString(h.root().resolve("scheduler.db-wal"), ""), "rw-r--r--");
    Path db = h.database();
    Path wal = h.database().resolveSibling("scheduler.db-wal");
    Path state = chmod(Files.writeString(h.root().resolve("state.json"), "{}"), "rw-r--r--"); // the supervisor's: same line
    Path log = chmod(Files.writeString(h.logs().resolve("validator.log"), ""), "rw-r--r--");
    Path shared = chmod(Files.writeString(h.workspace().resolve("shared.txt"), "the user's"), "rw-r--r--");

    String err = stderrOf(h);

    assertThat(err.lines().filter(l -> l.contains("tightened")).toList()).singleElement().asString()
        .endsWith("tightened 4 files and 3 directories under " + h.root() + " to 0600/0700 (they were open to other users)");
    assertThat(List.of(mode(h.root()), mode(h.logs()), mode(h.workspace()))).containsOnly("rwx------");
    assertThat(List.of(mode(db), mode(wal), mode(state), mode(log))).containsOnly("rw-------");
    assertThat(h.root().resolve("scheduler.db")).doesNotExist();
    assertThat(mode(shared)).isEqualTo("rw-r--r--");
    assertThat(stderrOf(h)).as("nothing left to say the second time").doesNotContain("tightened");
  }

  private static String stderrOf(AgentdHome h) throws IOException {
    PrintStream old = System.err;
    ByteArrayOutputStream copy = new ByteArrayOutputStream();
    System.setErr(new PrintStream(copy, true, StandardCharsets.UTF_8));
    try {
      h.createDirectories();
    } finally {
      System.setErr(old);
    }
    String s = copy.toString(StandardCharsets.UTF_8);
    old.print(s);
    return s;
  }

  static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  static Path chmod(Path p, String mode) throws IOException {
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
    return p;
  }
}
