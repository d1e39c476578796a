package dev.supervisor.testsupport;

import dev.supervisor.ConfigException;
import dev.supervisor.SupervisorConfig;
import java.nio.file.Path;

/** Loads a config and prints {@code ok} or the {@link ConfigException}'s message: {@code ConfigCheckMain FILE}. */
public final class ConfigCheckMain {
  private ConfigCheckMain() {}

  public static void main(String[] args) {
    try {
      SupervisorConfig.load(Path.of(args[0]));
      System.out.println("ok");
    } catch (ConfigException e) {
      System.out.println(e.getMessage());
    }
  }
}
