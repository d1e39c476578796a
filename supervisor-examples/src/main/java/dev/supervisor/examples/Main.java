package dev.supervisor.examples;

import dev.supervisor.examples.launcher.Agentd;

/** Entry point of {@code agentd.jar}: the {@link Agentd} command line. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    Agentd.main(args);
  }
}
