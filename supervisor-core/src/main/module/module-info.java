/**
 * Keeps a family of OS processes alive. The API packages are exported; {@code
 * dev.supervisor.internal} (process groups, cgroups, log files, the launchers) and {@code
 * dev.supervisor.internal.engine} (the engine behind {@link dev.supervisor.Supervisor}) are not.
 * On the class path (how agentd and most users run it) this descriptor is ignored; it is what
 * keeps supervisor-ipc, compiled as a module against it, from reaching into the internals.
 */
module dev.supervisor.core {
  requires transitive com.fasterxml.jackson.databind;
  requires org.slf4j;

  exports dev.supervisor;
  exports dev.supervisor.event;
  exports dev.supervisor.json;
  exports dev.supervisor.persist;
  exports dev.supervisor.spi;
  exports dev.supervisor.testing;

  // Jackson reads and writes the saved state's records
  opens dev.supervisor.persist to com.fasterxml.jackson.databind;
}
