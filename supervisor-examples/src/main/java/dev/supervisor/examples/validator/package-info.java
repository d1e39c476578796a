/** The validator child: approves or denies tool intents against a policy and audits every decision. */
package dev.supervisor.examples.validator;
