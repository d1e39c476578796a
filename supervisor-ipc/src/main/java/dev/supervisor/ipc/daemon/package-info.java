/** Starting a supervisor in the background on demand: {@link dev.supervisor.ipc.daemon.Daemons#ensureRunning}. */
package dev.supervisor.ipc.daemon;
