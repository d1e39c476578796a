package dev.supervisor.functional;

import dev.supervisor.ChildSpec;
import dev.supervisor.ChildStatus;
import dev.supervisor.Supervisor;
import dev.supervisor.event.SupervisorEvent;
import dev.supervisor.testsupport.ProcessLeakGuard;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Base for tests against real processes: a supervisor in a temp home, its events recorded, closed after each test. */
@ExtendWith(ProcessLeakGuard.class)
abstract class SupervisorFixture {
  @TempDir Path home;
  final ConcurrentLinkedQueue<SupervisorEvent> events = new ConcurrentLinkedQueue<>();
  final List<Supervisor> supervisors = new ArrayList<>();

  Supervisor start(ChildSpec... children) {
    return start(b -> b, children);
  }

  Supervisor start(UnaryOperator<Supervisor.Builder> custom, ChildSpec... children) {
    Supervisor.Builder b = Supervisor.builder(home).shutdownHook(false).listener(events::add, Runnable::run);
    for (ChildSpec c : children) {
      b.child(c);
    }
    Supervisor s = custom.apply(b).build();
    supervisors.add(s);
    s.startAsync();
    return s;
  }

  @AfterEach
  void closeSupervisors() {
    for (Supervisor s : supervisors) {
      s.close();
    }
  }

  static ChildStatus child(Supervisor s, String name) {
    return s.status().child(name).orElseThrow();
  }

  static long pid(Supervisor s, String name) {
    return child(s, name).pid().orElse(-1);
  }

  <T extends SupervisorEvent> List<T> eventsOf(Class<T> type) {
    List<T> out = new ArrayList<>();
    for (SupervisorEvent e : events) {
      if (type.isInstance(e)) {
        out.add(type.cast(e));
      }
    }
    return out;
  }

  static final Duration WAIT = Duration.ofSeconds(10);
}
