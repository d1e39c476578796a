package dev.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** ChildState's javadoc table and its successors() are the same table. */
class ChildStateTableTest {
  private static final Pattern ROW = Pattern.compile("^ \\* ([A-Z/]+) +-> +([A-Z/]+) +\\S.*$");

  @Test
  void theJavadocTableIsTheExecutableOne() throws Exception {
    Map<ChildState, Set<ChildState>> documented = new EnumMap<>(ChildState.class);
    for (ChildState s : ChildState.values()) {
      documented.put(s, EnumSet.noneOf(ChildState.class));
    }
    int rows = 0;
    for (String line : Files.readAllLines(Path.of("src/main/java/dev/supervisor/ChildState.java"))) {
      Matcher m = ROW.matcher(line);
      if (m.matches()) {
        rows++;
        for (String from : m.group(1).split("/")) {
          for (String to : m.group(2).split("/")) {
            documented.get(ChildState.valueOf(from)).add(ChildState.valueOf(to));
          }
        }
      }
    }
    assertThat(rows).as("rows read from the table").isGreaterThan(10);
    for (ChildState s : ChildState.values()) {
      assertThat(s.successors()).as("successors of " + s).isEqualTo(documented.get(s));
      assertThat(s.canBecome(s)).as(s + " -> " + s).isFalse();
    }
  }

  @Test
  void aChildThatIsAliveCanOnlyBeStoppingOrLeaveThroughAnExit() {
    assertThat(ChildState.STOPPING.successors()).doesNotContain(ChildState.RUNNING, ChildState.READY, ChildState.STARTING);
    assertThat(ChildState.BACKOFF.canBecome(ChildState.RUNNING)).as("a restart passes STARTING").isFalse();
  }
}
