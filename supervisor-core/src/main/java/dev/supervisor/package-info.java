/** The public API: build a {@link dev.supervisor.Supervisor} from {@link dev.supervisor.ChildSpec}s and keep them alive. */
package dev.supervisor;
