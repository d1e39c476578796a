package dev.supervisor.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Handing the children's files to their account never hands over a file of root's: a child owns
 * its directories, so it can plant a symbolic or hard link there to, say, {@code /etc/shadow}.
 */
class ChildUserTest {
  @TempDir Path dir;

  private static long uid(Path p) throws Exception {
    return ((Number) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
  }

  @Test
  void linksAChildPlantedAreNeverFollowedNorTheirTargetsHandedOver() throws Exception {
    assumeTrue(ChildUser.isRoot(), "handing files to another user needs root (CI runs as root)");
    AgentdHome h = new AgentdHome(dir.resolve("home"));
    h.createDirectories();
    Path secret = Files.writeString(dir.resolve("secret"), "root's");
    Files.createSymbolicLink(h.workspace().resolve("sym"), secret);
    Files.createLink(h.workspace().resolve("hard"), secret);
    Files.createSymbolicLink(h.database().resolveSibling("scheduler.db-wal"), secret);
    Path mine = Files.writeString(h.workspace().resolve("mine.txt"), "ok");
    ChildUser nobody = ChildUser.resolve(null).orElseThrow();

    nobody.prepare(h);
    nobody.handBack(h.database().resolveSibling("scheduler.db-wal"));

    assertThat(uid(secret)).as("the target of the planted links").isZero();
    assertThat(uid(mine)).isEqualTo(nobody.uid());
    assertThat(uid(h.workspace())).isEqualTo(nobody.uid());
    assertThat(uid(h.workDir("scheduler"))).isEqualTo(nobody.uid());
  }
}
