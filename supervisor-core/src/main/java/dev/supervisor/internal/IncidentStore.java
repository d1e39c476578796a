package dev.supervisor.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.Incident;
import dev.supervisor.RestartDecision;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Incident records as JSON lines, one file per child ({@code <dir>/<name>.jsonl}, 0600 in a 0700 directory), the newest
 * {@code kept} per child. Appends are single writes of one line; when a file reaches twice the
 * limit it is rewritten with the newest {@code kept} (temp file, rename), so reads never see a
 * half-trimmed file and a crash loop costs one rewrite per {@code kept} incidents. Writes come
 * from one thread (the supervisor's io thread); reads from any.
 */
public final class IncidentStore {
  private static final Logger log = LoggerFactory.getLogger(IncidentStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final int kept;
  /** Lines in each child's file, counted once, then tracked (writer thread only). */
  private final java.util.Map<String, Integer> lineCounts = new java.util.HashMap<>();

  public IncidentStore(Path dir, int kept) {
    this.dir = dir;
    this.kept = kept;
  }

  public Path fileOf(String name) {
    return dir.resolve(name + ".jsonl");
  }

  /** Appends (and trims when due); a failure is logged, never thrown: supervision goes on. */
  public void append(Incident incident) {
    Path file = fileOf(incident.name());
    try {
      if (OwnedDirectories.ensure(dir) && !lineCounts.isEmpty()) {
        log.warn("incident directory {} was missing: created it again (mode 0700)", dir);
      }
      byte[] line = (JSON.writeValueAsString(toJson(incident)) + "\n").getBytes(StandardCharsets.UTF_8);
      Integer count = lineCounts.get(incident.name());
      if (count == null || (count > 0 && !Files.exists(file))) { // first append, or the file was deleted
        count = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8).size() : 0;
      }
      PrivateFiles.write(file, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      count++;
      if (count >= 2 * kept) {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        Path tmp = dir.resolve("." + incident.name() + ".jsonl.tmp");
        StringBuilder newest = new StringBuilder();
        lines.subList(Math.max(0, lines.size() - kept), lines.size()).forEach(l -> newest.append(l).append('\n'));
        PrivateFiles.write(tmp, newest.toString().getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        count = Math.min(kept, lines.size());
      }
      lineCounts.put(incident.name(), count);
    } catch (IOException | RuntimeException e) {
      log.error("cannot record the incident of child '{}' in {}: {}", incident.name(), file, e.toString());
    }
  }

  /** The newest {@code kept} incidents of {@code name}, oldest first; lines that do not parse are skipped. */
  public List<Incident> read(String name) throws IOException {
    Path file = fileOf(name);
    if (!Files.exists(file)) {
      return List.of();
    }
    List<Incident> out = new ArrayList<>();
    for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      try {
        out.add(fromJson(JSON.readTree(l)));
      } catch (IOException | RuntimeException e) {
        log.debug("skipping a damaged incident line in {}: {}", file, e.toString());
      }
    }
    return out.size() > kept ? List.copyOf(out.subList(out.size() - kept, out.size())) : out;
  }

  public static ObjectNode toJson(Incident i) {
    ObjectNode n = JSON.createObjectNode();
    n.put("at", i.at().toString()).put("name", i.name()).put("runId", i.runId());
    n.set("exit", ExitStatusJson.toJson(i.exit()));
    n.put("uptimeMs", i.uptime().toMillis());
    if (i.peakRssBytes().isPresent()) {
      n.put("peakRssBytes", i.peakRssBytes().getAsLong());
    } else {
      n.putNull("peakRssBytes");
    }
    if (i.cpuTime().isPresent()) {
      n.put("cpuMs", i.cpuTime().get().toMillis());
    } else {
      n.putNull("cpuMs");
    }
    n.put("decision", i.decision().name());
    if (i.restartDelay().isPresent()) {
      n.put("delayMs", i.restartDelay().get().toMillis());
    } else {
      n.putNull("delayMs");
    }
    n.put("reason", i.reason());
    ArrayNode lines = n.putArray("lastLines");
    i.lastLines().forEach(lines::add);
    return n;
  }

  public static Incident fromJson(JsonNode n) {
    List<String> lines = new ArrayList<>();
    n.path("lastLines").forEach(l -> lines.add(l.asText()));
    return new Incident(Instant.parse(n.path("at").asText()), n.path("name").asText(), n.path("runId").asLong(),
        ExitStatusJson.fromJson(n.path("exit")), Duration.ofMillis(n.path("uptimeMs").asLong()), lines,
        n.hasNonNull("peakRssBytes") ? OptionalLong.of(n.get("peakRssBytes").asLong()) : OptionalLong.empty(),
        n.hasNonNull("cpuMs") ? Optional.of(Duration.ofMillis(n.get("cpuMs").asLong())) : Optional.empty(),
        RestartDecision.Action.valueOf(n.path("decision").asText()),
        n.hasNonNull("delayMs") ? Optional.of(Duration.ofMillis(n.get("delayMs").asLong())) : Optional.empty(),
        n.path("reason").asText());
  }
}
