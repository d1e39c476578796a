/**
 * Seams: how a supervisor starts and signals its children's processes
 * ({@link dev.supervisor.spi.ProcessLauncher}). The default launches real processes; the test kit
 * ({@code dev.supervisor.testing.FakeProcessLauncher}) launches none.
 */
package dev.supervisor.spi;
