/**
 * The receiving side of the systemd notify protocol for children: per-child datagram sockets
 * ({@link dev.supervisor.ipc.notify.ChildNotifySockets}) that a supervisor binds for children
 * using {@code readinessNotify}, {@code watchdog} or {@code notifySocket}.
 */
package dev.supervisor.ipc.notify;
