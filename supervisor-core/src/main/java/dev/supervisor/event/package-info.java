/** One sealed event hierarchy, shared by listeners, the JSON-lines event log and (later) IPC subscribers. */
package dev.supervisor.event;
