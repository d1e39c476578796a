package dev.supervisor;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The state of one child at the moment of a {@link SupervisorStatus} snapshot.
 *
 * @param name the child's name
 * @param state its state
 * @param pid the pid (and process group id) of the live run
 * @param runId the id of the latest run (0 before the first spawn)
 * @param uptime how long the live run has been up
 * @param restarts restarts made by the restart policy or a strategy since the supervisor started (operator restarts not counted)
 * @param lastExit how the previous run ended
 * @param lastExitAt when the previous run ended
 * @param nextRestartAt when the child is in BACKOFF, when it starts again
 * @param reason the latest decision or failure in a sentence ("5 restarts in 60s (last exit code 3)")
 * @param cpuTime user + system CPU time of the live process (from /proc), when readable
 * @param rssBytes resident memory of the live process (from /proc), when readable
 * @param policy the restart policy in words (its {@code toString})
 * @param statusText the latest {@code STATUS=} line the child sent over its notify socket
 * @param privileges the child's privileges, declared, not enforced and effective; empty when it declares none
 * @param logFault while the child's log cannot be written, why ("no space left on /var (0 bytes free)",
 *     "log file ... was deleted while the child runs ..."); empty when it is written, or the child has no log
 * @param processes how many processes the live run has: the members of its cgroup, or of its process
 *     group where it has no cgroup (then a descendant that left the group is not counted); empty
 *     when it does not run or the launcher cannot tell
 */
public record ChildStatus(String name, ChildState state, OptionalLong pid, long runId, Optional<Duration> uptime,
    int restarts, Optional<ExitStatus> lastExit, Optional<Instant> lastExitAt, Optional<Instant> nextRestartAt,
    Optional<String> reason, Optional<Duration> cpuTime, OptionalLong rssBytes, String policy, Optional<String> statusText,
    Optional<PrivilegeReport> privileges, Optional<String> logFault, OptionalInt processes) {}
