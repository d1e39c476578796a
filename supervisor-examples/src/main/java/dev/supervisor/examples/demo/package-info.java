/** A small demo: three children that run, crash and exit, with their status printed as it changes. */
package dev.supervisor.examples.demo;
