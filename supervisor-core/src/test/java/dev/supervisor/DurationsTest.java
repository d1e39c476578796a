package dev.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class DurationsTest {
  @Test
  void everyFormattedDurationParsesBackToItself() {
    // sub-millisecond ones were printed as "500us", which parse refuses
    for (Duration d : List.of(Duration.ofNanos(1), Duration.ofNanos(500_000), Duration.ofNanos(1_250_000), Duration.ofMillis(1),
        Duration.ofMillis(1500), Duration.ofSeconds(60), Duration.ofSeconds(61), Duration.ofMinutes(5), Duration.ofHours(2),
        Duration.ofDays(3), Duration.ofSeconds(1, 1), Duration.ZERO)) {
      assertThat(Durations.parse(Durations.format(d))).as(Durations.format(d)).isEqualTo(d);
    }
    assertThat(Durations.format(Duration.ofNanos(500_000))).isEqualTo("0.5ms");
    assertThat(Durations.format(Duration.ofNanos(1_250_000))).isEqualTo("1.25ms");
  }
}
