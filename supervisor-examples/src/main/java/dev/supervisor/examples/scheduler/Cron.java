package dev.supervisor.examples.scheduler;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;

/** Cron expressions through cron-utils: 5 fields as in crontab, or 6 with seconds first (Spring style). */
public final class Cron {
  private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final CronParser SECONDS = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.SPRING53));

  private Cron() {}

  /**
   * The first time after {@code after} that {@code expression} fires.
   *
   * @throws IllegalArgumentException naming the expression and the accepted forms
   */
  public static Instant next(String expression, Instant after) {
    ExecutionTime t;
    try {
      String e = expression.trim();
      t = ExecutionTime.forCron((e.split("\\s+").length == 6 ? SECONDS : UNIX).parse(e));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("bad cron expression '" + expression + "': " + e.getMessage()
          + " (use 5 fields, 'min hour day month weekday', or 6 with seconds first)", e);
    }
    return t.nextExecution(ZonedDateTime.ofInstant(after, ZoneId.systemDefault()))
        .orElseThrow(() -> new IllegalArgumentException("cron expression '" + expression + "' never fires"))
        .toInstant();
  }
}
