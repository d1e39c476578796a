/** The supervisor's control socket: role-gated RPC ({@link dev.supervisor.ipc.control.ControlServer}) and its typed client. */
package dev.supervisor.ipc.control;
