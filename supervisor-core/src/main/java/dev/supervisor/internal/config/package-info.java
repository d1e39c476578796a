/** The JSON config reader behind {@link dev.supervisor.SupervisorConfig}: the schema, the typed reads and their messages; not a public API. */
package dev.supervisor.internal.config;
