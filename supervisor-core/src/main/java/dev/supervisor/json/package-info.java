/** The JSON forms of exit statuses, incidents and events, as the supervisor writes them. */
package dev.supervisor.json;
