package dev.supervisor.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.supervisor.examples.demo.Demo;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.UnmarkedChildren;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(ProcessLeakGuard.class)
@UnmarkedChildren("the demo (main code) defines its own children, with a cleared environment: no mark can reach them;"
    + " they are this JVM's children, so the guard tracks them and their groups all the same")
class DemoTest {

  @Test
  void theDemoSupervisesItsChildrenAndLeavesNothingRunning(@TempDir Path home) throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true));
    int code;
    try {
      code = Demo.run(new String[] {"--seconds", "6", "--home", home.toString()});
    } finally {
      System.setOut(original);
    }
    String out = captured.toString();
    assertThat(code).isZero();
    assertThat(out).contains("ticker   STARTING -> RUNNING", "oneshot  RUNNING -> EXITED  (exit code 0)",
        "crashy   RUNNING -> BACKOFF  (exit code 1)", "all children stopped");
    assertThat(Files.readString(home.resolve("logs/oneshot.log"))).contains("hello from oneshot");
    assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList()).isEmpty();
  }
}
