/** {@code agentd}: the example launcher, a real supervisor of validator, executor and scheduler children. */
package dev.supervisor.examples.launcher;
