package dev.supervisor.examples.scheduler;

import dev.supervisor.examples.tools.Intent;
import dev.supervisor.examples.tools.Jsons;
import dev.supervisor.persist.OwnerOnly;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Jobs and their runs in SQLite ({@code <home>/scheduler.db}); shared by the scheduler child and
 * the {@code agentd jobs} commands (WAL mode and a busy timeout let them write concurrently).
 * Not threadsafe: one store per thread.
 */
public final class JobStore implements AutoCloseable {
  /** A job. */
  public record Job(long id, String name, String cron, Intent intent, Instant nextRunAt) {}

  /** One run of a job. */
  public record Run(long id, String job, Instant startedAt, Optional<Instant> endedAt, String status, String output) {}

  private final Connection db;

  private Runnable afterClose = () -> { };

  private JobStore(Connection db) {
    this.db = db;
  }

  /** Runs {@code hook} once the database is closed (the CLI hands the files back to the scheduler's user). */
  public JobStore afterClose(Runnable hook) {
    this.afterClose = hook;
    return this;
  }

  /**
   * Opens (and creates) the database. A new one is created 0600 here, before SQLite opens it:
   * SQLite would make it 0644 under the usual umask, and it gives its {@code -wal}, {@code -shm}
   * and {@code -journal} files the database file's mode.
   *
   * @throws IOException naming the file
   */
  public static JobStore open(Path file) throws IOException {
    try {
      OwnerOnly.createFile(file);
    } catch (IOException e) {
      throw new IOException("cannot create the job database " + file + ": " + e, e);
    }
    try {
      Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA busy_timeout = 5000");
        s.execute("PRAGMA journal_mode = WAL");
        s.execute("CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, cron TEXT NOT NULL,"
            + " intent TEXT NOT NULL, next_run_at INTEGER NOT NULL, created_at INTEGER NOT NULL)");
        s.execute("CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL, job_name TEXT NOT NULL,"
            + " started_at INTEGER NOT NULL, ended_at INTEGER, status TEXT NOT NULL, output TEXT NOT NULL DEFAULT '')");
        s.execute("CREATE INDEX IF NOT EXISTS runs_by_job ON runs(job_name, id)");
      }
      return new JobStore(c);
    } catch (SQLException e) {
      throw new IOException("cannot open the job database " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Adds a job; it first runs at the next time its cron fires.
   *
   * @throws IllegalArgumentException for a bad cron or a name in use
   */
  public Job add(String name, String cron, Intent intent, Instant now) throws SQLException {
    Instant next = Cron.next(cron, now);
    if (find(name).isPresent()) {
      throw new IllegalArgumentException("a job named '" + name + "' exists; remove it first");
    }
    try (PreparedStatement p = db.prepareStatement(
        "INSERT INTO jobs (name, cron, intent, next_run_at, created_at) VALUES (?, ?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
      p.setString(1, name);
      p.setString(2, cron);
      p.setString(3, intent.toJson().toString());
      p.setLong(4, next.toEpochMilli());
      p.setLong(5, now.toEpochMilli());
      p.executeUpdate();
    }
    return find(name).orElseThrow();
  }

  public Optional<Job> find(String name) throws SQLException {
    try (PreparedStatement p = db.prepareStatement("SELECT id, name, cron, intent, next_run_at FROM jobs WHERE name = ?")) {
      p.setString(1, name);
      try (ResultSet r = p.executeQuery()) {
        return r.next() ? Optional.of(job(r)) : Optional.empty();
      }
    }
  }

  public List<Job> list() throws SQLException {
    return jobs("SELECT id, name, cron, intent, next_run_at FROM jobs ORDER BY name", -1);
  }

  /** Jobs whose next run is at or before {@code now}. */
  public List<Job> due(Instant now) throws SQLException {
    return jobs("SELECT id, name, cron, intent, next_run_at FROM jobs WHERE next_run_at <= ? ORDER BY next_run_at", now.toEpochMilli());
  }

  private List<Job> jobs(String sql, long arg) throws SQLException {
    List<Job> out = new ArrayList<>();
    try (PreparedStatement p = db.prepareStatement(sql)) {
      if (arg >= 0) {
        p.setLong(1, arg);
      }
      try (ResultSet r = p.executeQuery()) {
        while (r.next()) {
          out.add(job(r));
        }
      }
    }
    return out;
  }

  private static Job job(ResultSet r) throws SQLException {
    try {
      return new Job(r.getLong(1), r.getString(2), r.getString(3), Intent.fromJson(Jsons.MAPPER.readTree(r.getString(4))),
          Instant.ofEpochMilli(r.getLong(5)));
    } catch (IOException e) {
      throw new SQLException("job '" + r.getString(2) + "' has an unreadable intent: " + e.getMessage(), e);
    }
  }

  public boolean remove(String name) throws SQLException {
    try (PreparedStatement p = db.prepareStatement("DELETE FROM jobs WHERE name = ?")) {
      p.setString(1, name);
      return p.executeUpdate() > 0;
    }
  }

  public void setNextRun(long jobId, Instant next) throws SQLException {
    try (PreparedStatement p = db.prepareStatement("UPDATE jobs SET next_run_at = ? WHERE id = ?")) {
      p.setLong(1, next.toEpochMilli());
      p.setLong(2, jobId);
      p.executeUpdate();
    }
  }

  /** Records a run as {@code running}; returns its id. */
  public long startRun(Job job, Instant now) throws SQLException {
    try (PreparedStatement p = db.prepareStatement("INSERT INTO runs (job_id, job_name, started_at, status) VALUES (?, ?, ?, 'running')",
        Statement.RETURN_GENERATED_KEYS)) {
      p.setLong(1, job.id());
      p.setString(2, job.name());
      p.setLong(3, now.toEpochMilli());
      p.executeUpdate();
      try (ResultSet k = p.getGeneratedKeys()) {
        k.next();
        return k.getLong(1);
      }
    }
  }

  public void finishRun(long runId, String status, String output, Instant now) throws SQLException {
    try (PreparedStatement p = db.prepareStatement("UPDATE runs SET status = ?, output = ?, ended_at = ? WHERE id = ?")) {
      p.setString(1, status);
      p.setString(2, output.length() > 2000 ? output.substring(0, 2000) + "..." : output);
      p.setLong(3, now.toEpochMilli());
      p.setLong(4, runId);
      p.executeUpdate();
    }
  }

  /** Runs left {@code running} by a crash become {@code failed}; returns how many. */
  /**
   * Marks failed the runs still {@code running} that started before {@code startedBefore}, except
   * {@code inFlight} (the run this scheduler is doing now; -1 for none): the periodic sweep.
   */
  public int failStaleRuns(Instant startedBefore, long inFlight, Instant now) throws SQLException {
    try (PreparedStatement p = db.prepareStatement("UPDATE runs SET status = 'failed', ended_at = ?,"
        + " output = 'interrupted: found still running by the periodic sweep' WHERE status = 'running' AND started_at < ? AND id <> ?")) {
      p.setLong(1, now.toEpochMilli());
      p.setLong(2, startedBefore.toEpochMilli());
      p.setLong(3, inFlight);
      return p.executeUpdate();
    }
  }

  public int failInterruptedRuns(Instant now) throws SQLException {
    try (PreparedStatement p = db.prepareStatement(
        "UPDATE runs SET status = 'failed', ended_at = ?, output = 'interrupted: the scheduler stopped during this run' WHERE status = 'running'")) {
      p.setLong(1, now.toEpochMilli());
      return p.executeUpdate();
    }
  }

  /** The latest {@code limit} runs, newest first, of one job or (name null) of all. */
  public List<Run> runs(String name, int limit) throws SQLException {
    String sql = "SELECT id, job_name, started_at, ended_at, status, output FROM runs"
        + (name == null ? "" : " WHERE job_name = ?") + " ORDER BY id DESC LIMIT ?";
    List<Run> out = new ArrayList<>();
    try (PreparedStatement p = db.prepareStatement(sql)) {
      int i = 1;
      if (name != null) {
        p.setString(i++, name);
      }
      p.setInt(i, limit);
      try (ResultSet r = p.executeQuery()) {
        while (r.next()) {
          long ended = r.getLong(4);
          out.add(new Run(r.getLong(1), r.getString(2), Instant.ofEpochMilli(r.getLong(3)),
              r.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(ended)), r.getString(5), r.getString(6)));
        }
      }
    }
    return out;
  }

  @Override
  public void close() throws SQLException {
    db.close();
    afterClose.run();
  }
}
