/** What outlives a supervisor process: the PID lock, process start-time signatures, the atomic state store, and owner-only files. */
package dev.supervisor.persist;
