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
 * each through validator and executor, recording the run. On start, runs a crash left
 * {@code running} are marked failed. Serves {@code run/scheduler.sock}: {@code ping}, {@code pollNow}.
 */
public final class SchedulerMain {
  private final AgentdHome home;
  private final JobStore store;
  private final ToolClient tools;

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
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    timer.scheduleWithFixedDelay(s::pollSafely, 0, poll.toMillis(), TimeUnit.MILLISECONDS);
    JsonLineServer.builder(home.socket("scheduler")).handler((req, peer) -> {
      if (!req.path("type").asText().equals("pollNow")) {
        throw new RpcException(ErrorCode.UNKNOWN_TYPE, "unknown request type '" + req.path("type").asText() + "' (known: ping, pollNow)");
      }
      timer.execute(s::pollSafely);
      return Jsons.MAPPER.createObjectNode().put("queued", true);
    }).build().start();
    System.out.println("scheduler polling " + home.database() + " every " + Durations.format(poll));
    Thread.currentThread().join();
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
      store.setNextRun(job.id(), Cron.next(job.cron(), now));
      long run = store.startRun(job, now);
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
      store.finishRun(run, status, output, Instant.now());
      System.out.println("job " + job.name() + " run " + run + ": " + status);
    }
  }
}
