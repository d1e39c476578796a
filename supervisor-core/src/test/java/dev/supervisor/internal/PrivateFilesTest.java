package dev.supervisor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivateFilesTest {
  @TempDir Path dir;

  @Test
  void createDirectoriesMakesEachMissingLevel0700AndLeavesExistingOnesAlone() throws Exception {
    chmod(dir, "rwxr-xr-x");
    Path deep = dir.resolve("a/b/c");
    assertThat(PrivateFiles.createDirectories(deep)).isEqualTo(deep);
    assertThat(List.of(mode(dir.resolve("a")), mode(dir.resolve("a/b")), mode(deep))).containsOnly("rwx------");
    assertThat(mode(dir)).isEqualTo("rwxr-xr-x");
    assertThat(PrivateFiles.createDirectories(deep)).isEqualTo(deep); // exists: fine
  }

  @Test
  void createFileMakesA0600FileAndLeavesAnExistingOneAlone() throws Exception {
    Path f = dir.resolve("x.log");
    assertThat(PrivateFiles.createFile(f)).isTrue();
    assertThat(mode(f)).isEqualTo("rw-------");
    chmod(f, "rw-r-----");
    assertThat(PrivateFiles.createFile(f)).isFalse();
    assertThat(mode(f)).isEqualTo("rw-r-----");
  }

  @Test
  void openingAFileForWritingMakesIt0600BeforeAnythingIsWritten() throws Exception {
    Path fresh = dir.resolve("fresh");
    try (FileChannel ch = PrivateFiles.open(fresh, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      assertThat(mode(fresh)).isEqualTo("rw-------");
    }
    Path left = Files.writeString(dir.resolve("left.tmp"), "old");
    chmod(left, "rw-rw-rw-");
    try (FileChannel ch = PrivateFiles.open(left, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      assertThat(mode(left)).isEqualTo("rw-------");
    }
    PrivateFiles.write(dir.resolve("w"), new byte[] {1, 2}, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    assertThat(mode(dir.resolve("w"))).isEqualTo("rw-------");
    assertThat(Files.readAllBytes(dir.resolve("w"))).containsExactly(1, 2);
  }

  @Test
  void tightenFixesOnlyWhatIsOpenToOthersAndNeverFollowsALink(@TempDir Path other) throws Exception {
    Path tree = Files.createDirectories(dir.resolve("logs/sub"));
    chmod(dir.resolve("logs"), "rwxr-x---");
    chmod(tree, "rwxr-xr-x");
    Path open = Files.writeString(tree.resolve("a.log"), "a");
    chmod(open, "rw-r--r--");
    Path ownerOnly = Files.writeString(tree.resolve("b.log"), "b");
    chmod(ownerOnly, "r--------"); // not open to others: left as it is
    Path target = Files.writeString(other.resolve("target"), "t");
    chmod(target, "rw-r--r--");
    Files.createSymbolicLink(tree.resolve("link"), target);
    Path single = Files.writeString(dir.resolve("state.json"), "{}");
    chmod(single, "rw-rw-r--");

    PrivateFiles.Tightened t = PrivateFiles.tighten(dir, List.of(single, dir.resolve("missing")), List.of(dir.resolve("logs")));

    assertThat(t).isEqualTo(new PrivateFiles.Tightened(2, 2, List.of()));
    assertThat(List.of(mode(open), mode(single))).containsOnly("rw-------");
    assertThat(List.of(mode(dir.resolve("logs")), mode(tree))).containsOnly("rwx------");
    assertThat(mode(ownerOnly)).isEqualTo("r--------");
    assertThat(mode(target)).isEqualTo("rw-r--r--");
    assertThat(PrivateFiles.tighten(dir, List.of(single), List.of(dir.resolve("logs"))).none()).isTrue();
  }

  @Test
  void theSummaryIsOneSentence() {
    Path h = Path.of("/h");
    assertThat(PrivateFiles.describe(h, new PrivateFiles.Tightened(5, 0, List.of())))
        .isEqualTo("tightened 5 files under /h to 0600/0700 (they were open to other users)");
    assertThat(PrivateFiles.describe(h, new PrivateFiles.Tightened(1, 2, List.of())))
        .isEqualTo("tightened 1 file and 2 directories under /h to 0600/0700 (they were open to other users)");
    assertThat(PrivateFiles.describe(h, new PrivateFiles.Tightened(0, 1, List.of("/h/x: Operation not permitted", "/h/y: ..."))))
        .isEqualTo("tightened 1 directory under /h to 0600/0700 (they were open to other users);"
            + " could not tighten 2 (they stay open to other users; fix by hand): /h/x: Operation not permitted ...");
    assertThat(PrivateFiles.describe(h, new PrivateFiles.Tightened(0, 0, List.of("/h/x: Operation not permitted"))))
        .isEqualTo("could not tighten 1 under /h (it stays open to other users; fix by hand): /h/x: Operation not permitted");
  }

  static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
  }

  static void chmod(Path p, String mode) throws IOException {
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
  }
}
