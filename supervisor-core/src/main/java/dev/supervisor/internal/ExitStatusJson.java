package dev.supervisor.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.ExitStatus;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The one JSON form of an {@link ExitStatus}, shared by the event log, the state file and the
 * control RPC: {@code {"kind":"EXITED","code":3,"requested":false,"text":"exit code 3"}}
 * ({@code signal}, {@code reason} and {@code "coreDumped":true} when present; {@code text} is for people and ignored on read).
 */
public final class ExitStatusJson {
  private ExitStatusJson() {}

  public static ObjectNode toJson(ExitStatus x) {
    ObjectNode e = JsonNodeFactory.instance.objectNode();
    e.put("kind", x.kind().name());
    x.code().ifPresent(c -> e.put("code", c));
    x.signal().ifPresent(s -> e.put("signal", s));
    e.put("requested", x.requested());
    x.reason().ifPresent(r -> e.put("reason", r));
    if (x.coreDumped()) {
      e.put("coreDumped", true);
    }
    e.put("text", x.toString());
    return e;
  }

  /** @throws IllegalArgumentException if {@code kind} is missing or unknown */
  public static ExitStatus fromJson(JsonNode e) {
    return new ExitStatus(ExitStatus.Kind.valueOf(e.path("kind").asText()),
        e.has("code") ? OptionalInt.of(e.get("code").asInt()) : OptionalInt.empty(),
        Optional.ofNullable(e.has("signal") ? e.get("signal").asText() : null),
        e.path("requested").asBoolean(false),
        Optional.ofNullable(e.has("reason") ? e.get("reason").asText() : null),
        e.path("coreDumped").asBoolean(false) && "SIGNALED".equals(e.path("kind").asText())); // lenient with a hand-edited file
  }
}
