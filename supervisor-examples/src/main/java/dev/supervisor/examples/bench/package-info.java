/** Benchmarks of the core engine against real processes. */
package dev.supervisor.examples.bench;
