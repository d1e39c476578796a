/** What outlives a supervisor process: the PID lock, process start-time signatures and the atomic state store. */
package dev.supervisor.persist;
