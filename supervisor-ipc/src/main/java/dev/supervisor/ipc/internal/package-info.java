/** junixsocket adapters and line framing; not a public API. */
package dev.supervisor.ipc.internal;
