package dev.supervisor.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's embedding example must compile against the current API. */
class ReadmeExampleTest {
  private static final Path README = Path.of("..", "README.md");

  @Test
  void theEmbeddingExampleCompiles(@TempDir Path dir) throws Exception {
    String readme = Files.readString(README);
    Matcher m = Pattern.compile("## Embedding\\s+```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
    assertThat(m.find()).as("README.md has a ```java block under '## Embedding'").isTrue();
    String source = m.group(1);
    assertThat(source.lines().count()).as("the example stays short").isLessThanOrEqualTo(30);
    compile(dir, "Embed.java", source);
    assertThat(dir.resolve("Embed.class")).exists();
  }

  @Test
  void theTestKitExampleCompilesAndPasses(@TempDir Path dir) throws Exception {
    String readme = Files.readString(README);
    Matcher m = Pattern.compile("## Testing your supervision tree\\s+.*?```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
    assertThat(m.find()).as("README.md has a ```java block under '## Testing your supervision tree'").isTrue();
    compile(dir, "MyTreeTest.java", m.group(1));
    // run it: each @Test method on a fresh instance, as JUnit would; a failed assertion is thrown here
    try (java.net.URLClassLoader loader = new java.net.URLClassLoader(new java.net.URL[] {dir.toUri().toURL()},
        ReadmeExampleTest.class.getClassLoader())) {
      Class<?> example = loader.loadClass("MyTreeTest");
      List<java.lang.reflect.Method> tests = java.util.Arrays.stream(example.getDeclaredMethods())
          .filter(x -> x.isAnnotationPresent(Test.class)).toList();
      assertThat(tests).as("the README example has @Test methods").isNotEmpty();
      for (java.lang.reflect.Method t : tests) {
        java.lang.reflect.Constructor<?> c = example.getDeclaredConstructor();
        c.setAccessible(true);
        t.setAccessible(true);
        try {
          t.invoke(c.newInstance());
        } catch (java.lang.reflect.InvocationTargetException e) {
          throw new AssertionError("README example " + t.getName() + " failed: " + e.getCause(), e.getCause());
        }
      }
    }
  }

  /** Compiles {@code source} as {@code fileName} at release 17 against this module's test classpath. */
  private static void compile(Path dir, String fileName, String source) throws Exception {
    Path file = dir.resolve(fileName);
    Files.writeString(file, source);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter out = new StringWriter();
    boolean ok = javac.getTask(out, null, null,
        List.of("--release", "17", "-classpath", System.getProperty("java.class.path"), "-d", dir.toString()),
        null, javac.getStandardFileManager(null, null, null).getJavaFileObjects(file)).call();
    assertThat(ok).as("README example %s compiles:%n%s", fileName, out).isTrue();
  }

  @Test
  void theReadmeStartsWithExactlyTwoSetUpCommands() throws Exception {
    String readme = Files.readString(README);
    Matcher m = Pattern.compile("```sh\\n(.*?)```", Pattern.DOTALL).matcher(readme);
    assertThat(m.find()).isTrue();
    List<String> commands = m.group(1).lines().filter(l -> !l.isBlank()).toList();
    assertThat(commands).containsExactly(
        "mvn -q -DskipTests package && java -jar supervisor-examples/target/agentd.jar daemon run",
        "mvn -B verify");
    assertThat(Files.readString(Path.of("..", ".ci", "run"))).contains("mvn -B verify");
  }
}
