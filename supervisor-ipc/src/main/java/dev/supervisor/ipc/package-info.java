/** Unix domain socket transports for the supervisor (JSON lines, control RPC, ensureDaemons); see the ipc issue. */
package dev.supervisor.ipc;
