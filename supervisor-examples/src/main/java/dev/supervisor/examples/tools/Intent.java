package dev.supervisor.examples.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a caller wants done: {@code read PATH}, {@code write PATH TEXT}, {@code list PATH} or
 * {@code exec ARGV...}. Paths are made absolute against the workspace and normalized (no
 * {@code ..}) when the intent is built, so the policy and the approval see what will be touched.
 *
 * @param tool read, write, list or exec
 * @param path the target, for file tools
 * @param argv the command, for exec
 * @param text what to write, for write
 */
public record Intent(String tool, Optional<Path> path, List<String> argv, Optional<String> text) {
  public static final List<String> TOOLS = List.of("read", "write", "list", "exec");

  public Intent {
    Objects.requireNonNull(tool, "tool");
    if (!TOOLS.contains(tool)) {
      throw new IllegalArgumentException("unknown tool '" + tool + "' (tools: read, write, list, exec)");
    }
    argv = List.copyOf(argv);
    if (tool.equals("exec")) {
      if (argv.isEmpty()) {
        throw new IllegalArgumentException("exec needs a command");
      }
    } else if (path.isEmpty()) {
      throw new IllegalArgumentException(tool + " needs a path");
    }
    if (tool.equals("write") && text.isEmpty()) {
      throw new IllegalArgumentException("write needs a text");
    }
  }

  public static Intent read(Path p) {
    return new Intent("read", Optional.of(p), List.of(), Optional.empty());
  }

  public static Intent list(Path p) {
    return new Intent("list", Optional.of(p), List.of(), Optional.empty());
  }

  public static Intent write(Path p, String text) {
    return new Intent("write", Optional.of(p), List.of(), Optional.of(text));
  }

  public static Intent exec(List<String> argv) {
    return new Intent("exec", Optional.empty(), argv, Optional.empty());
  }

  /** The same intent with its path absolute against {@code workspace} and normalized. */
  public Intent resolvedAgainst(Path workspace) {
    return new Intent(tool, path.map(p -> workspace.resolve(p).toAbsolutePath().normalize()), argv, text);
  }

  /** An unambiguous byte form: what an approval signs. */
  public byte[] canonical() {
    StringBuilder sb = new StringBuilder("intent/v1\n").append(tool).append('\n');
    sb.append(path.map(Path::toString).orElse("")).append('\n');
    for (String a : argv) {
      sb.append(a.length()).append(':').append(a);
    }
    sb.append('\n').append(text.map(Intent::sha256).orElse(""));
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public ObjectNode toJson() {
    ObjectNode n = Jsons.MAPPER.createObjectNode().put("tool", tool);
    path.ifPresent(p -> n.put("path", p.toString()));
    if (!argv.isEmpty()) {
      ArrayNode a = n.putArray("argv");
      argv.forEach(a::add);
    }
    text.ifPresent(t -> n.put("text", t));
    return n;
  }

  /**
   * Reads an intent from JSON.
   *
   * @throws IllegalArgumentException naming the field that is wrong
   */
  public static Intent fromJson(JsonNode n) {
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException("intent must be an object like {\"tool\":\"read\",\"path\":\"notes.txt\"}");
    }
    List<String> argv = new ArrayList<>();
    JsonNode a = n.get("argv");
    if (a != null) {
      if (!a.isArray()) {
        throw new IllegalArgumentException("intent.argv must be an array of strings");
      }
      for (JsonNode e : a) {
        if (!e.isTextual()) {
          throw new IllegalArgumentException("intent.argv must be an array of strings");
        }
        argv.add(e.asText());
      }
    }
    return new Intent(n.path("tool").asText(""), n.hasNonNull("path") ? Optional.of(Path.of(n.get("path").asText())) : Optional.empty(),
        argv, n.hasNonNull("text") ? Optional.of(n.get("text").asText()) : Optional.empty());
  }

  @Override
  public String toString() {
    return tool + " " + (tool.equals("exec") ? String.join(" ", argv) : path.get().toString());
  }
}
