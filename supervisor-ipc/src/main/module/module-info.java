/**
 * Talking to a supervisor and to its children over Unix domain sockets: JSON lines, the control
 * RPC, {@code ensureRunning}, the notify protocol and sd_notify. It sees supervisor-core as a
 * user does: its exported packages only. {@code dev.supervisor.ipc.internal} is not exported.
 */
module dev.supervisor.ipc {
  requires transitive dev.supervisor.core;
  requires transitive com.fasterxml.jackson.databind;
  requires org.newsclub.net.unix;
  requires org.slf4j;
  requires java.management;

  exports dev.supervisor.ipc;
  exports dev.supervisor.ipc.control;
  exports dev.supervisor.ipc.daemon;
  exports dev.supervisor.ipc.notify;
  exports dev.supervisor.ipc.systemd;
}
