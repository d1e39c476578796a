package dev.supervisor.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code bench compare} runs agentd on the newest JDK installed, whichever JDK runs the bench. */
class NewestJdkTest {
  @Test
  void agentdRunsOnTheNewestInstalledJdkAndTheCommandSaysSo() throws Exception {
    Tool.Agentd.Jdk jdk = Tool.Agentd.newestJdk();
    assertThat(jdk.feature()).isGreaterThanOrEqualTo(Runtime.version().feature());
    assertThat(Files.isExecutable(jdk.java())).isTrue();
    try (var homes = Files.list(Path.of("/usr/lib/jvm"))) {
      int newestThere = homes.map(h -> h.resolve("release")).filter(Files::isReadable).mapToInt(r -> {
        try {
          return Files.readAllLines(r).stream().filter(l -> l.startsWith("JAVA_VERSION="))
              .mapToInt(l -> Integer.parseInt(l.substring(13).replace("\"", "").split("[.+-]")[0])).findFirst().orElse(0);
        } catch (java.io.IOException e) {
          return 0;
        }
      }).max().orElse(0);
      assertThat(jdk.feature()).isGreaterThanOrEqualTo(newestThere);
    } catch (java.nio.file.NoSuchFileException e) {
      // no /usr/lib/jvm: this JVM is the newest known
    }
    List<String> cmd = Tool.Agentd.onNewest(List.of("/some/java", "-cp", "x", "Main"));
    assertThat(cmd.get(0)).isEqualTo(jdk.java().toString());
    assertThat(cmd.contains("--enable-native-access=ALL-UNNAMED")).isEqualTo(jdk.feature() >= 22);
    assertThat(new Tool.Agentd(Path.of("/tmp/x")).version()).contains("on Java " + jdk.version()).contains(jdk.java().toString());
  }
}
