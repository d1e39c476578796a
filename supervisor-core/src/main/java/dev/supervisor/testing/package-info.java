/**
 * A test kit for users: unit-test a supervision tree or a restart policy without spawning
 * processes or waiting. {@link dev.supervisor.testing.FakeProcessLauncher} launches fake
 * processes that exit when the test says (and that a later supervisor adopts);
 * {@link dev.supervisor.testing.ManualClock} is the time a supervisor and its policies see, and
 * runs its timers; {@link dev.supervisor.testing.PolicyScenario} walks a
 * restart policy through runs and exits, decision by decision.
 */
package dev.supervisor.testing;
