/**
 * The engine behind {@link dev.supervisor.Supervisor}; not a public API (the module does not
 * export it). {@link dev.supervisor.internal.engine.EngineCore} owns the loop and the
 * supervisor's state and is what the facade forwards to; the other classes are rooms of one job
 * each, and they see the engine only through {@link dev.supervisor.internal.engine.Engine} (time,
 * timers, the loop and io executors, events, the other children) or {@link
 * dev.supervisor.internal.engine.Commands} (start, stop, restart, a task on the loop, a wait for a
 * published state).
 *
 * <p>Which thread owns which state (everything not listed is reached through the loop):
 * <table>
 * <caption>Threads of one supervisor</caption>
 * <tr><th>thread</th><th>owns or touches</th></tr>
 * <tr><td>loop ({@code supervisor-N-loop})</td><td>every {@code ChildRunner} field and its parts
 *     ({@code Probes}, {@code NotifyProtocol}, {@code WatchDebounce}, {@code RunHistory}, {@code
 *     RunSampler}), {@code GroupRestart}, the breaker, {@code Recovery}, the timers; it publishes
 *     snapshots, then wakes the waiters on the monitor</td></tr>
 * <tr><td>io ({@code supervisor-N-io})</td><td>{@code LogRotation}, the event log, {@code
 *     IncidentRecorder} writes, {@code /proc} scans; results go back as loop tasks</td></tr>
 * <tr><td>probes ({@code supervisor-N-probe})</td><td>run health and readiness checks; each result
 *     is a loop task</td></tr>
 * <tr><td>state writer ({@code supervisor-N-state})</td><td>reads published snapshots and writes
 *     the state file; emits {@code StateStoreWriteFailed}</td></tr>
 * <tr><td>exit watch ({@code supervisor-exit-watch}: pidfds in epoll on JDK 22+, reaping spawned
 *     children and seeing adopted ones go; else a JDK reaper thread per child and a 200 ms poll
 *     for adopted ones), notify receivers, file watcher, socket watch</td><td>hand each exit, datagram or file event to the
 *     loop</td></tr>
 * <tr><td>callers, the shutdown hook</td><td>read snapshots and the volatile state; commands are
 *     loop tasks; the blocking operations ({@code Reloader}, {@code RollingRestart}, hand-over)
 *     wait on the monitor for published states and change {@code ChildTable} and {@code
 *     Instances} under it</td></tr>
 * <tr><td>listeners</td><td>their own executor, behind one {@code SerialExecutor} each ({@code
 *     ListenerHub}); a direct executor runs on the emitting thread, where the calls that wait for
 *     the loop refuse to run</td></tr>
 * </table>
 * The full table, with the reasons, is in {@code docs/DESIGN-NOTES.md}.
 */
package dev.supervisor.internal.engine;
