/** systemd's notification protocol ({@code sd_notify}) for a supervisor run as a {@code Type=notify} unit. */
package dev.supervisor.ipc.systemd;
