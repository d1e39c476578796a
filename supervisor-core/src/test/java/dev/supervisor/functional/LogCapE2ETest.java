package dev.supervisor.functional;

import static dev.supervisor.testsupport.TestChildren.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.LogConfig;
import dev.supervisor.Supervisor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The byte cap on a child's rotated logs ({@code LogConfig.withRetention(maxAge, maxTotalBytes)}),
 * end to end: a real child writes far more than the cap, and what the supervisor leaves on disk
 * follows the documented rules: the live file is rotated back under {@code maxBytes}, the rotated
 * files together hold at most {@code maxTotalBytes} (the oldest deleted first), and the newest
 * bytes the child wrote are still there.
 */
class LogCapE2ETest extends SupervisorFixture {
  private static final long MAX_BYTES = 64 * 1024;
  private static final long CAP = 256 * 1024;
  private static final int CHUNKS = 1500;
  private static final int CHUNK = 1000;

  private static List<Path> rotated(Path log) throws Exception {
    Pattern name = Pattern.compile(Pattern.quote(log.getFileName().toString()) + "\\.\\d+");
    try (Stream<Path> s = Files.list(log.getParent())) {
      return s.filter(p -> name.matcher(p.getFileName().toString()).matches()).sorted().toList();
    }
  }

  private static long total(List<Path> files) throws Exception {
    long n = 0;
    for (Path p : files) {
      n += Files.size(p);
    }
    return n;
  }

  private static boolean holds(Path file, String text) {
    try {
      return Files.exists(file) && Files.readString(file).contains(text);
    } catch (Exception e) {
      return false; // rotated away while read
    }
  }

  @Test
  void aChildWritingFarMoreThanTheCapLeavesAtMostTheCapInRotatedFilesAndItsNewestBytes() throws Exception {
    // Pacing matters, as the checks are adaptive: a log found quiet is checked again only 10 s later
    // (documented), and a check right after a rotation that rotates again misreads the rate and waits up to 10 s
    // too; what the child writes meanwhile is one rotated file, which alone can exceed the cap. So the child
    // writes just over maxBytes and waits for the first rotation (the second check, at most 10 s after the start),
    // then writes steadily: 1500 lines of 1000 'x' and a number, 1.5 MB, six times the cap, a line every few ms,
    // so that each check (every 50 ms) finds the log grown, by far less than maxBytes.
    Path expected = home.resolve("logs").resolve("chatty.log");
    String script = "head -c " + (MAX_BYTES + 1000) + " /dev/zero | tr '\\0' y; echo;"
        + " while [ ! -e " + expected + ".1 ]; do sleep 0.01; done;"
        + " i=0; while [ $i -lt " + CHUNKS + " ]; do head -c " + CHUNK + " /dev/zero | tr '\\0' x; echo \" $i\"; i=$((i+1)); sleep 0.002; done;"
        + " echo 'last words'; exec sleep 1000";
    Supervisor s = start(b -> b.logCheckInterval(Duration.ofMillis(50)),
        sh("chatty", script).logs(LogConfig.rotating(MAX_BYTES, 1000, false).withRetention(Duration.ofDays(14), CAP)).build());
    Path log = s.logFile("chatty").orElseThrow();
    assertThat(log).isEqualTo(expected);

    // the child is done once its last words are on disk; then the live file is brought back under maxBytes
    await().atMost(Duration.ofSeconds(40)).until(() -> holds(log, "last words") || rotated(log).stream().anyMatch(p -> holds(p, "last words")));
    // (and not caught between a rotation and its pruning, when the new .1 is there and the oldest not deleted yet)
    await("the live file under maxBytes, the rotated files under the cap").atMost(Duration.ofSeconds(30))
        .until(() -> Files.size(log) <= MAX_BYTES && !Files.exists(log.resolveSibling(log.getFileName() + ".1.tmp"))
            && total(rotated(log)) <= CAP);

    List<Path> files = rotated(log);
    long written = (long) CHUNKS * (CHUNK + 6) + "last words\n".length();
    assertThat(files).as("it rotated").isNotEmpty();
    assertThat(total(files)).as("bytes in %s, of %d written", files, written).isLessThanOrEqualTo(CAP);
    assertThat(total(files) + Files.size(log)).isLessThan(written / 4);
    List<Integer> indices = files.stream().map(p -> Integer.parseInt(p.getFileName().toString().substring(log.getFileName().toString().length() + 1)))
        .sorted().toList();
    assertThat(indices).as("the oldest were deleted: what is left is .1 to .%d", indices.size())
        .isEqualTo(java.util.stream.IntStream.rangeClosed(1, indices.size()).boxed().toList());

    // the newest bytes: the last numbered line, then the last words (in .1 and the live file, wherever the last rotation cut)
    Path first = log.resolveSibling(log.getFileName() + ".1");
    String tail = Files.readString(first) + Files.readString(log);
    assertThat(tail).endsWith("x " + (CHUNKS - 1) + "\nlast words\n");
  }

  /**
   * Regression: the cap deleted a newest rotated file that alone exceeded it and kept the older
   * ones, so the rotated files had a hole (.1 gone, .2 and .3 kept) and a newer log was lost
   * before an older one. Two small rotated files of an earlier run are there when a child writes
   * 3 MB (over the 256 KiB cap) at once: rotated, it goes, and so do the older two.
   */
  @Test
  void aRotatedFileOverTheCapNeverGoesWhileOlderOnesStay() throws Exception {
    Path dir = Files.createDirectories(home.resolve("logs"));
    Path log = dir.resolve("burst.log");
    Files.writeString(log.resolveSibling("burst.log.1"), "earlier run, newer\n");
    Files.writeString(log.resolveSibling("burst.log.2"), "earlier run, older\n");
    start(sh("burst", "head -c 3000000 /dev/zero | tr '\\0' z; echo; echo 'after the burst'; exec sleep 1000")
        .logs(LogConfig.rotating(MAX_BYTES, 1000, false).withRetention(Duration.ofDays(14), CAP)).build());
    // the burst is rotated into .1 (shifting the earlier two to .2 and .3) within 10 s, the quiet recheck
    // (rotated and pruned: the live file emptied, the earlier .1 moved on, and the cap kept)
    await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(log) && Files.size(log) <= MAX_BYTES
        && !Files.exists(log.resolveSibling("burst.log.1.tmp")) && !holds(log.resolveSibling("burst.log.1"), "earlier run, newer")
        && total(rotated(log)) <= CAP);
    List<Path> left = rotated(log);
    assertThat(total(left)).isLessThanOrEqualTo(CAP);
    assertThat(left).as("a newer rotated file was deleted: no older one may be left").isEmpty();
  }
}
