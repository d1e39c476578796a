/** The optional HTTP face of agentd: JSON API, Server-Sent Events, Prometheus metrics and the dashboard page. */
package dev.supervisor.examples.http;
