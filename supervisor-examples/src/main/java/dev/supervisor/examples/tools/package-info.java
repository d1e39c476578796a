/** Tool intents, the validator's policy and signed single-use approvals, shared by the launcher's children. */
package dev.supervisor.examples.tools;
