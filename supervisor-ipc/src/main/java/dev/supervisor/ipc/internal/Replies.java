package dev.supervisor.ipc.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.ipc.ErrorCode;
import java.io.IOException;
import java.io.OutputStream;

/** The wire form of a JSON-lines reply: one object a line, errors as {@code {"type":"error","code":...}}, with the request's id. */
public final class Replies {
  private Replies() {}

  /**
   * Reads the client's first line (for at most {@code withinNanos}) before refusing it, so that
   * the client is not writing into a closed socket when the refusal comes, and so that the
   * refusal carries its request's id.
   */
  public static void refuseAfterFirstLine(LineReader reader, OutputStream out, long withinNanos, ErrorCode code, String message)
      throws IOException {
    JsonNode id = null;
    try {
      byte[] first = reader.readLine(System.nanoTime() + withinNanos);
      JsonNode req = first == null ? null : Json.MAPPER.readTree(first);
      id = req != null && req.isObject() ? req.get("id") : null;
    } catch (IOException ignored) {
      // refused either way
    }
    writeLine(out, error(id, code, message));
  }

  public static void setId(ObjectNode reply, JsonNode id) {
    if (id != null) {
      reply.set("id", id);
    }
  }

  public static ObjectNode error(JsonNode id, ErrorCode code, String message) {
    ObjectNode n = Json.MAPPER.createObjectNode().put("type", "error");
    setId(n, id);
    return n.put("code", code.name()).put("message", message);
  }

  public static void writeLine(OutputStream out, ObjectNode reply) throws IOException {
    out.write(Json.MAPPER.writeValueAsBytes(reply));
    out.write('\n');
    out.flush();
  }
}
