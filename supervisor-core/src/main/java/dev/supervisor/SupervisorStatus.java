package dev.supervisor;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One immutable snapshot of a supervisor and its children, in start order.
 *
 * @param state the supervisor's state
 * @param takenAt when the snapshot was taken
 * @param children one entry per child, in start order
 */
public record SupervisorStatus(SupervisorState state, Instant takenAt, List<ChildStatus> children, StormBreaker.Status breaker) {
  public SupervisorStatus {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(takenAt, "takenAt");
    children = List.copyOf(children);
    Objects.requireNonNull(breaker, "breaker");
  }

  /** The status of the child named {@code name}, if there is one. */
  public Optional<ChildStatus> child(String name) {
    return children.stream().filter(c -> c.name().equals(name)).findFirst();
  }

  /**
   * A fixed-width table for humans: name, state, pid, processes, uptime, restarts, cpu, rss, last
   * exit; then a line per log that cannot be written, and the storm breaker when it is open.
   */
  public String toTable() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%-20s %-9s %8s %5s %9s %8s %9s %9s  %s%n", "NAME", "STATE", "PID", "PROCS", "UPTIME", "RESTARTS", "CPU",
        "RSS", "LAST EXIT"));
    for (ChildStatus c : children) {
      sb.append(String.format("%-20s %-9s %8s %5s %9s %8d %9s %9s  %s%n",
          c.name(), c.state(),
          c.pid().isPresent() ? Long.toString(c.pid().getAsLong()) : "-",
          c.processes().isPresent() ? Integer.toString(c.processes().getAsInt()) : "-",
          c.uptime().map(SupervisorStatus::human).orElse("-"),
          c.restarts(),
          c.cpuTime().map(d -> d.toMillis() + "ms").orElse("-"),
          c.rssBytes().isPresent() ? (c.rssBytes().getAsLong() / 1024) + "K" : "-",
          c.lastExit().map(Object::toString).orElse("-")
              + c.nextRestartAt().map(t -> ", restart at " + t).orElse("")));
    }
    for (ChildStatus c : children) {
      c.logFault().ifPresent(f -> sb.append("log of ").append(c.name()).append(" not written: ").append(f).append('\n'));
    }
    if (breaker.open()) {
      sb.append("storm breaker OPEN since ").append(breaker.openedAt().map(Object::toString).orElse("?"))
          .append(": trying ").append(breaker.probe().orElse("-")).append(" first; holding ")
          .append(breaker.held().isEmpty() ? "-" : String.join(", ", breaker.held())).append('\n');
    }
    return sb.toString();
  }

  /** {@code 4s}, {@code 2m05s}, {@code 3h02m}, {@code 2d03h}: for uptimes in tables. */
  static String human(java.time.Duration d) {
    long s = d.getSeconds();
    if (s < 60) return s + "s";
    if (s < 3600) return String.format("%dm%02ds", s / 60, s % 60);
    if (s < 86400) return String.format("%dh%02dm", s / 3600, s % 3600 / 60);
    return String.format("%dd%02dh", s / 86400, s % 86400 / 3600);
  }
}
