package dev.supervisor.examples.scheduler;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.Durations;
import dev.supervisor.examples.launcher.AgentdHome;
import dev.supervisor.examples.tools.Jsons;
import dev.supervisor.examples.tools.ToolClient;
import dev.supervisor.ipc.ErrorCode;
import dev.supervisor.ipc.JsonLineServer;
import dev.supervisor.ipc.RpcException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Polls {@code <home>/scheduler.db} every {@code AGENTD_POLL} (default 30 s) for due jobs and runs
 * each through validator and executor, recording the run. Runs a crash left {@code running} are
 * marked failed at start, and every {@code AGENTD_SWEEP} (default 5 m) those running for longer
 * than the sweep interval (other than the one in flight). On SIGTERM it drains: no new run
 * starts, the run in flight may finish within {@code AGENTD_DRAIN_GRACE} (default 3 s, under the
 * child's stop grace), else it is recorded {@code cancelled} and the scheduler exits. Serves
 * {@code run/scheduler.sock}: {@code ping}, {@code pollNow}.
 */
public final class SchedulerMain {
  private final AgentdHome home;
  private final JobStore store;
  private final ToolClient tools;
  private volatile boolean draining;
  /** The run in flight, or -1. */
  private volatile long inFlight = -1;
  /** The run the drain recorded as cancelled: its late result must not overwrite that. */
  private volatile long cancelled = -1;

  private SchedulerMain(AgentdHome home) throws Exception {
    this.home = home;
    this.store = JobStore.open(home.database());
    this.tools = new ToolClient(home);
  }

  public static void main(String[] args) throws Exception {
    AgentdHome home = AgentdHome.fromEnv();
    Duration poll = Durations.parse(System.getenv().getOrDefault("AGENTD_POLL", "30s"));
    SchedulerMain s = new SchedulerMain(home);
    int failed = s.store.failInterruptedRuns(Instant.now());
    if (failed > 0) {
      System.out.println("marked " + failed + " run(s) left running by a crash as failed");
    }
    Duration grace = Durations.parse(System.getenv().getOrDefault("AGENTD_DRAIN_GRACE", "3s"));
    Duration sweep = Durations.parse(System.getenv().getOrDefault("AGENTD_SWEEP", "5m"));
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    timer.scheduleWithFixedDelay(s::pollSafely, 0, poll.toMillis(), TimeUnit.MILLISECONDS);
    ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sweep");
      t.setDaemon(true);
      return t;
    });
    sweeper.scheduleWithFixedDelay(() -> s.sweep(sweep), sweep.toMillis(), sweep.toMillis(), TimeUnit.MILLISECONDS);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> s.drain(timer, grace), "drain"));
    JsonLineServer.builder(home.socket("scheduler")).peerPolicy(AgentdHome.childPeers()).handler((req, peer) -> {
      if (!req.path("type").asText().equals("pollNow")) {
        throw new RpcException(ErrorCode.UNKNOWN_TYPE, "unknown request type '" + req.path("type").asText() + "' (known: ping, pollNow)");
      }
      timer.execute(s::pollSafely);
      return Jsons.MAPPER.createObjectNode().put("queued", true);
    }).build().start();
    System.out.println("scheduler polling " + home.database() + " every " + Durations.format(poll));
    Thread.currentThread().join();
  }

  /** SIGTERM: stop taking runs, let the one in flight finish within the grace, else record it cancelled. */
  private void drain(ScheduledExecutorService timer, Duration grace) {
    draining = true;
    timer.shutdown();
    try {
      if (!timer.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        long run = inFlight;
        if (run >= 0) {
          cancelled = run;
          store.finishRun(run, "cancelled", "cancelled: the scheduler was stopped and the run did not finish within "
              + Durations.format(grace), Instant.now());
          System.out.println("run " + run + " cancelled: still running after the " + Durations.format(grace) + " drain grace");
        }
      } else {
        System.out.println("drained: no run in flight");
      }
    } catch (Exception e) {
      System.out.println("drain failed: " + e);
    }
  }

  private void sweep(Duration olderThan) {
    try {
      Instant now = Instant.now();
      int n = store.failStaleRuns(now.minus(olderThan), inFlight, now);
      if (n > 0) {
        System.out.println("sweep: marked " + n + " stale run(s) failed");
      }
    } catch (Exception e) {
      System.out.println("sweep failed: " + e);
    }
  }

  private void pollSafely() {
    try {
      poll();
    } catch (Exception e) {
      System.out.println("poll failed: " + e); // next poll retries
    }
  }

  private void poll() throws Exception {
    Instant now = Instant.now();
    for (JobStore.Job job : store.due(now)) {
      if (draining) {
        return; // stopping: no new runs
      }
      store.setNextRun(job.id(), Cron.next(job.cron(), now));
      long run = store.startRun(job, now);
      inFlight = run;
      String status;
      String output;
      try {
        ToolClient.Outcome o = tools.run(job.intent());
        if (!o.allowed()) {
          status = "denied";
          output = o.reason();
        } else {
          ObjectNode r = o.result();
          status = r.path("ok").asBoolean() ? "ok" : "failed";
          output = r.has("output") ? r.get("output").asText() : r.has("content") ? r.get("content").asText() : r.toString();
        }
      } catch (RpcException e) {
        status = "failed";
        output = e.toString();
      } catch (Exception e) {
        status = "failed";
        output = "cannot reach validator/executor: " + e.getMessage();
      }
      inFlight = -1;
      if (cancelled == run) {
        return; // the drain gave up on it and recorded it cancelled
      }
      store.finishRun(run, status, output, Instant.now());
      System.out.println("job " + job.name() + " run " + run + ": " + status);
    }
  }
}
