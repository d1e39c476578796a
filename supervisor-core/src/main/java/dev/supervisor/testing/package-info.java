/**
 * A test kit for users: unit-test a supervision tree or a restart policy without spawning
 * processes or waiting. {@link dev.supervisor.testing.FakeProcessLauncher} launches fake
 * processes that exit when the test says; {@link dev.supervisor.testing.ManualClock} is the time
 * a supervisor and its policies see; {@link dev.supervisor.testing.PolicyScenario} walks a
 * restart policy through runs and exits, decision by decision.
 */
package dev.supervisor.testing;
