/** Implementation details (process groups, /proc, log files, the per-child state machine); not a public API. */
package dev.supervisor.internal;
