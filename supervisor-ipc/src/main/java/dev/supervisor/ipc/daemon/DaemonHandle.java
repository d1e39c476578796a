package dev.supervisor.ipc.daemon;

import java.nio.file.Path;

/**
 * A supervisor that answers.
 *
 * @param pid its pid
 * @param controlSocket where it answers
 * @param startedByThisCall whether this call started it (false: it was already running)
 */
public record DaemonHandle(long pid, Path controlSocket, boolean startedByThisCall) {}
