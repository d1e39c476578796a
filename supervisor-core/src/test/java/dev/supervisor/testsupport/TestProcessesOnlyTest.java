package dev.supervisor.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No test source of any module starts a process but through {@link TestProcesses}, which marks it:
 * an unmarked process would be invisible to the leak guard. (The guard also fails a test whose JVM
 * has an unmarked child while it runs; this catches the short-lived ones its scan may miss.)
 */
class TestProcessesOnlyTest {
  private static final List<String> FORBIDDEN = List.of("new " + "ProcessBuilder(", "Runtime.getRuntime()" + ".exec", ".start" + "Pipeline(");

  @Test
  void onlyTestProcessesMakesAProcessBuilder() throws Exception {
    Path root = Path.of("").toAbsolutePath().getParent();
    List<Path> sources = new ArrayList<>();
    for (String module : List.of("supervisor-core", "supervisor-ipc", "supervisor-examples")) {
      Path dir = root.resolve(module).resolve("src/test/java");
      assertThat(dir).as("the test sources of %s", module).isDirectory();
      try (Stream<Path> s = Files.walk(dir)) {
        s.filter(p -> p.toString().endsWith(".java")).forEach(sources::add);
      }
    }
    assertThat(sources).hasSizeGreaterThan(50);
    List<String> offenders = new ArrayList<>();
    for (Path p : sources) {
      if (p.getFileName().toString().equals("TestProcesses.java")) {
        continue;
      }
      List<String> lines = Files.readAllLines(p);
      for (int i = 0; i < lines.size(); i++) {
        for (String f : FORBIDDEN) {
          if (lines.get(i).contains(f)) {
            offenders.add(root.relativize(p) + ":" + (i + 1) + ": " + lines.get(i).trim());
          }
        }
      }
    }
    assertThat(offenders).as("processes started other than through TestProcesses (unmarked, invisible to the leak guard)").isEmpty();
  }
}
