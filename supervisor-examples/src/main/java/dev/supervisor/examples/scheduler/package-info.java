/** The scheduler child: cron jobs in an embedded SQLite database, run through validator and executor. */
package dev.supervisor.examples.scheduler;
