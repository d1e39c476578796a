package dev.supervisor.ipc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.ipc.internal.Json;
import dev.supervisor.ipc.internal.LineReader;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A client of a {@link JsonLineServer}. {@link #call} opens a connection per request (the
 * protocol's default mode); {@link #connect()} keeps one open for many. Threadsafe (a
 * {@link Connection} is not).
 */
public final class JsonLineClient {
  private static final AtomicLong IDS = new AtomicLong();
  /** Replies may be large (status of many children); requests are limited by the server. */
  private static final int MAX_REPLY_BYTES = 64 << 20;

  private final Path socket;
  private final Duration timeout;
  private final AFUNIXSocketAddress address;

  private JsonLineClient(Path socket, Duration timeout) throws SocketException {
    this.socket = socket;
    this.timeout = timeout;
    this.address = AFUNIXSocketAddress.of(socket);
  }

  /**
   * A client of the server at {@code socket}; each call must be answered within {@code timeout}.
   *
   * @throws IllegalArgumentException if the path cannot be a socket address (too long)
   */
  public static JsonLineClient of(Path socket, Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    try {
      return new JsonLineClient(Objects.requireNonNull(socket, "socket").toAbsolutePath(), timeout);
    } catch (SocketException e) {
      throw new IllegalArgumentException("cannot use " + socket + " as a socket address: " + e.getMessage(), e);
    }
  }

  /**
   * Sends {@code request} on a new connection and returns the reply. An {@code id} is added if
   * missing.
   *
   * @throws RpcException if the reply is an error
   * @throws IOException if the server cannot be reached ({@link java.net.SocketException}) or does not answer in time
   */
  public ObjectNode call(ObjectNode request) throws IOException, RpcException {
    try (Connection c = connect()) {
      return c.call(request);
    }
  }

  /** Opens a persistent connection. @throws IOException if the server cannot be reached */
  public Connection connect() throws IOException {
    AFUNIXSocket s = AFUNIXSocket.newInstance();
    try {
      s.connect(address, (int) Math.max(1, timeout.toMillis()));
      s.setSoTimeout((int) Math.max(1, timeout.toMillis()));
    } catch (IOException e) {
      s.close();
      throw e;
    }
    return new Connection(s);
  }

  public Path socket() {
    return socket;
  }

  /** One open connection: requests and replies in order. Not threadsafe. */
  public final class Connection implements AutoCloseable {
    private final AFUNIXSocket socket;
    private final OutputStream out;
    private final LineReader in;

    private Connection(AFUNIXSocket socket) throws IOException {
      this.socket = socket;
      this.out = new BufferedOutputStream(socket.getOutputStream(), 8192);
      this.in = new LineReader(socket.getInputStream(), MAX_REPLY_BYTES);
    }

    /** As {@link JsonLineClient#call}, on this connection. */
    public ObjectNode call(ObjectNode request) throws IOException, RpcException {
      if (!request.has("id")) {
        request = request.deepCopy().put("id", IDS.incrementAndGet());
      }
      out.write(Json.MAPPER.writeValueAsBytes(request));
      out.write('\n');
      out.flush();
      byte[] line = in.readLine(System.nanoTime() + timeout.toNanos());
      if (line == null) {
        throw new IOException("server " + JsonLineClient.this.socket + " closed the connection without a reply");
      }
      JsonNode reply = Json.MAPPER.readTree(line);
      if (reply == null || !reply.isObject()) {
        throw new IOException("server " + JsonLineClient.this.socket + " sent a reply that is not a JSON object");
      }
      if ("error".equals(reply.path("type").asText())) {
        ErrorCode code;
        try {
          code = ErrorCode.valueOf(reply.path("code").asText());
        } catch (IllegalArgumentException e) {
          code = ErrorCode.INTERNAL;
        }
        throw new RpcException(code, reply.path("message").asText());
      }
      return (ObjectNode) reply;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
