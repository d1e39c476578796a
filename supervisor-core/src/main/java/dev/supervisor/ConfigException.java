package dev.supervisor;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A supervisor config that cannot be read or used. The message names the source, the JSON path
 * of the offending field, the problem and the fix, e.g.
 * {@code config.json: children[1].stopGrace: bad duration '10x' (use e.g. 250ms, 1s, 1.5s, 5m, 2h, 1d)};
 * it is meant to be shown to the user as it is, without a stack trace.
 *
 * @see SupervisorConfig
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Transient because {@link Path} is not serializable: a deserialized copy has no file. */
  private final transient Path file;
  private final String field;

  /**
   * @param message the complete message (source, field, problem, fix)
   * @param file the config file, or null when the config did not come from a file
   * @param field the JSON path of the offending field, or "" for the whole document
   * @param cause the underlying exception, or null
   */
  public ConfigException(String message, Path file, String field, Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause);
    this.file = file;
    this.field = Objects.requireNonNull(field, "field");
  }

  /**
   * The config file, if the config was read from one ({@link SupervisorConfig#load(Path)});
   * empty for {@link SupervisorConfig#parse(String, String)}.
   */
  public Optional<Path> file() {
    return Optional.ofNullable(file);
  }

  /**
   * The JSON path of the offending field, e.g. {@code children[1].stopGrace} or
   * {@code children[0].backoff.initial}; "" when the problem concerns the whole document (an
   * unreadable file, malformed JSON, a top level that is not an object).
   */
  public String field() {
    return field;
  }
}
