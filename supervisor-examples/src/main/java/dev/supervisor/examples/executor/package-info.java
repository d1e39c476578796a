/** The executor child: runs only approved tool intents, inside its allowed roots. */
package dev.supervisor.examples.executor;
