/** JSON lines over Unix domain sockets: {@link dev.supervisor.ipc.JsonLineServer}, {@link dev.supervisor.ipc.JsonLineClient}, peers and error codes. */
package dev.supervisor.ipc;
