package dev.supervisor.examples.http;


import dev.supervisor.ChildSpec;
import dev.supervisor.ChildState;
import dev.supervisor.ChildStatus;
import dev.supervisor.Supervisor;
import dev.supervisor.SupervisorStatus;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The Prometheus meters of {@code /metrics}: the supervisor's uptime and storm breaker, and per
 * child up, ready, uptime, cpu, rss and restarts, kept in step with the children (a scaled-up
 * instance gets its meters, a removed child loses them) at each scrape. One status per scrape
 * or burst of requests, cached for 200 ms (a status reads /proc for every live child).
 */
final class HttpMetrics implements AutoCloseable {
  private final Supervisor sup;
  private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  /** The children whose meters are registered, and those meters; kept in step with the children at each read. */
  private final Map<String, List<Meter>> metered = new HashMap<>();
  private volatile SupervisorStatus cached;
  private volatile long cachedAt;

  HttpMetrics(Supervisor sup) {
    this.sup = sup;
    registerMetrics();
  }

  /** The text of a scrape, with the meters of the children there are now. */
  String scrape() {
    meterChildren();
    return metrics.scrape();
  }

  @Override
  public void close() {
    metrics.close();
  }

  private void registerMetrics() {
    meterChildren();
    Gauge.builder("supervisor.uptime", sup, s -> s.startedAt().map(t -> Duration.between(t, Instant.now()).toMillis() / 1000.0)
        .orElse(0.0)).baseUnit("seconds").description("seconds since the supervisor started").register(metrics);
    Gauge.builder("supervisor.storm.breaker.open", this, m -> m.status().breaker().open() ? 1 : 0)
        .description("1 while the storm breaker holds restarts").register(metrics);
  }

  /**
   * One set of meters per child the supervisor has now: those of instances added by a scale (or a
   * reload) are registered, those of children gone are removed. Called before each scrape.
   */
  private synchronized void meterChildren() {
    Map<String, ChildSpec> now = new java.util.LinkedHashMap<>();
    for (ChildSpec spec : sup.children()) {
      now.put(spec.name(), spec);
    }
    metered.keySet().removeIf(n -> {
      if (now.containsKey(n)) {
        return false;
      }
      metered.get(n).forEach(metrics::remove);
      return true;
    });
    now.forEach((n, spec) -> metered.computeIfAbsent(n, x -> {
      List<Meter> m = new java.util.ArrayList<>();
      m.add(gauge("supervisor.child.up", "1 while a process of the child is alive", n, null, c -> c.state().isAlive() ? 1 : 0));
      m.add(gauge("supervisor.child.ready", "1 when the child is up (READY, or RUNNING without readiness)", n, null,
          c -> c.state() == ChildState.READY || (c.state() == ChildState.RUNNING && !spec.hasReadiness()) ? 1 : 0));
      m.add(gauge("supervisor.child.uptime", "seconds the current run has been up", n, "seconds",
          c -> c.uptime().map(d -> d.toMillis() / 1000.0).orElse(0.0)));
      m.add(gauge("supervisor.child.cpu", "user + system CPU seconds of the current run", n, "seconds",
          c -> c.cpuTime().map(d -> d.toMillis() / 1000.0).orElse(0.0)));
      m.add(gauge("supervisor.child.rss", "resident memory of the current run", n, "bytes",
          c -> c.rssBytes().isPresent() ? c.rssBytes().getAsLong() : 0));
      m.add(FunctionCounter.builder("supervisor.child.restarts", this, self -> self.child(n).map(ChildStatus::restarts).orElse(0))
          .description("restarts by policy or strategy since the supervisor started").tag("child", n).register(metrics));
      return m;
    }));
  }

  private Gauge gauge(String name, String description, String child, String unit, ToDoubleFunction<ChildStatus> f) {
    Gauge.Builder<HttpMetrics> b = Gauge.builder(name, this, m -> m.child(child).map(f::applyAsDouble).orElse(Double.NaN))
        .description(description).tag("child", child);
    if (unit != null) {
      b.baseUnit(unit);
    }
    return b.register(metrics);
  }

  private java.util.Optional<ChildStatus> child(String name) {
    return status().child(name);
  }

  /** One status per scrape or burst of requests: cached for 200 ms (a status reads /proc for every live child). */
  SupervisorStatus status() {
    long now = System.nanoTime();
    SupervisorStatus s = cached;
    if (s == null || now - cachedAt > 200_000_000L) {
      s = sup.status();
      cached = s;
      cachedAt = now;
    }
    return s;
  }
}
