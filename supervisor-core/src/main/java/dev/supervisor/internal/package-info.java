/** Implementation details (process groups, cgroups, /proc, log files, the launchers); not a public API. The engine is in {@code dev.supervisor.internal.engine}. */
package dev.supervisor.internal;
