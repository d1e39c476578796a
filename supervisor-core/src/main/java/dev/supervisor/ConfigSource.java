package dev.supervisor;

import java.util.List;

/**
 * Where a reload reads the children from, e.g. {@code () -> SupervisorConfig.load(file).children()}.
 * Called on each reload ({@code SIGHUP}, the {@code reloadConfig} control command).
 */
@FunctionalInterface
public interface ConfigSource {
  /** The children as they are now. @throws ConfigException naming the file and field when they cannot be read */
  List<ChildSpec> load() throws ConfigException;
}
