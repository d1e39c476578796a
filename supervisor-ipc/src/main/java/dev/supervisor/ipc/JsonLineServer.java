package dev.supervisor.ipc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.ipc.internal.Json;
import dev.supervisor.ipc.internal.LineReader;
import dev.supervisor.ipc.internal.Replies;
import dev.supervisor.ipc.internal.SocketFile;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketCredentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves JSON lines on a Unix domain socket: one request object per line, one reply line per
 * request, any number of requests per connection (clients close after one by default).
 *
 * <p>Connections are served by a bounded pool of platform threads (junixsocket's blocking API
 * hangs on virtual threads); beyond {@code maxConnections} a client gets a {@code BUSY} error.
 * Each line must arrive within the read timeout and stay under the line limit; malformed JSON,
 * bad UTF-8, deep nesting and unknown types get error replies and the connection goes on; an
 * over-long line or a timeout closes that connection only. The socket's directory is created
 * 0700, the socket file is 0600, and peers are checked by their kernel credentials.
 */
public final class JsonLineServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JsonLineServer.class);
  private static final AtomicInteger SERVERS = new AtomicInteger();

  private final Path socket;
  private final JsonLineHandler handler;
  private final int maxLineBytes;
  private final Duration readTimeout;
  private final int maxConnections;
  private final int workers;
  private final PeerPolicy peerPolicy;
  private final String version;
  private final long startNanos = System.nanoTime();
  private volatile AFUNIXServerSocket server;
  private ThreadPoolExecutor pool;
  private ThreadPoolExecutor rejector;
  private Thread acceptor;
  private final Duration socketCheck;
  private java.util.concurrent.ScheduledExecutorService watcher;
  /** The socket file, bound again when it is deleted or replaced. */
  private final SocketFile socketFile;
  private volatile boolean closed;
  /** Requests read and not yet answered: close() lets them be written (up to 2 s) before it ends the workers. */
  private final AtomicInteger inFlight = new AtomicInteger();
  /** Whether this thread is answering a request (a handler that closes the server must not wait for itself). */
  private static final ThreadLocal<Boolean> ANSWERING = ThreadLocal.withInitial(() -> false);
  /** Counted down when the first close() is done: a second caller returns only then (after it, the process may exit). */
  private final java.util.concurrent.CountDownLatch closeDone = new java.util.concurrent.CountDownLatch(1);

  private JsonLineServer(Builder b) {
    this.socket = b.socket;
    this.handler = b.handler;
    this.maxLineBytes = b.maxLineBytes;
    this.readTimeout = b.readTimeout;
    this.maxConnections = b.maxConnections;
    this.workers = b.workers;
    this.peerPolicy = b.peerPolicy;
    this.version = b.version;
    this.socketCheck = b.socketCheck;
    this.socketFile = new SocketFile(socket, Math.min(maxConnections, 512));
  }

  public static Builder builder(Path socket) {
    return new Builder(socket);
  }

  /**
   * Binds and starts accepting; returns once clients can connect.
   *
   * @throws IOException if the socket path is served by a live server, is not a socket, or cannot be bound
   */
  public JsonLineServer start() throws IOException {
    server = socketFile.bind();
    int n = SERVERS.incrementAndGet();
    java.util.concurrent.BlockingQueue<Runnable> waiting = maxConnections > workers
        ? new ArrayBlockingQueue<>(maxConnections - workers) : new java.util.concurrent.SynchronousQueue<>();
    pool = new ThreadPoolExecutor(workers, workers, 60, TimeUnit.SECONDS, waiting,
        daemonThreads("jsonline-" + n + "-worker"));
    pool.allowCoreThreadTimeOut(true);
    rejector = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(16), daemonThreads("jsonline-" + n + "-busy"));
    rejector.allowCoreThreadTimeOut(true);
    acceptor = new Thread(this::acceptLoop, "jsonline-" + n + "-accept " + socket.getFileName());
    acceptor.setDaemon(true);
    acceptor.start();
    if (!socketCheck.isZero()) {
      watcher = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(daemonThreads("jsonline-" + n + "-watch " + socket.getFileName()));
      watcher.scheduleWithFixedDelay(this::checkSocketFile, socketCheck.toMillis(), socketCheck.toMillis(), TimeUnit.MILLISECONDS);
    }
    log.debug("serving {} ({} workers, {} connections, lines up to {} bytes)", socket, workers, maxConnections, maxLineBytes);
    return this;
  }

  /**
   * Every {@code socketCheckInterval}: if the socket file was deleted or replaced (a cleanup of
   * {@code run/}, an operator's {@code rm}), binds again at the same path, so clients find the
   * server where they look for it. Logs once per episode at WARN. A path now held by another
   * live server, or by something that is not a socket, is left alone (and said so once).
   */
  private void checkSocketFile() {
    if (closed) {
      return;
    }
    AFUNIXServerSocket old = server;
    synchronized (this) {
      if (closed) {
        return;
      }
      AFUNIXServerSocket fresh = socketFile.rebindIfGone();
      if (fresh == null) {
        return;
      }
      server = fresh;
    }
    try {
      old.close(); // the acceptor moves on to the new socket
    } catch (IOException e) {
      log.debug("closing the replaced listener of {}: {}", socket, e.toString());
    }
  }

  private void acceptLoop() {
    while (!closed) {
      AFUNIXServerSocket listener = server;
      AFUNIXSocket s;
      try {
        s = listener.accept();
      } catch (IOException e) {
        if (!closed && listener == server) {
          log.error("accept on {} failed: {}", socket, e.toString());
        }
        continue; // closed, or replaced by a new listener after the socket file was deleted
      }
      try {
        pool.execute(() -> serve(s));
      } catch (RejectedExecutionException e) {
        if (closed) { // accepted as the server closes: "gone" (end of stream), not "busy, try again"
          closeQuietly(s);
          continue;
        }
        try {
          rejector.execute(() -> refuseBusy(s));
        } catch (RejectedExecutionException e2) {
          refuseBusyNow(s); // even the refusals are backed up
        }
      }
    }
  }

  /**
   * Answers BUSY on its own thread, after reading the client's first line (briefly), so the
   * client is not writing into a closed socket when the answer comes.
   */
  private void refuseBusy(AFUNIXSocket s) {
    try (s) {
      s.setSoTimeout(500);
      Replies.refuseAfterFirstLine(new LineReader(s.getInputStream(), 64 * 1024), s.getOutputStream(), TimeUnit.MILLISECONDS.toNanos(500),
          ErrorCode.BUSY, "server busy: " + maxConnections + " connections in use; try again");
    } catch (IOException ignored) {
      // the client went away
    }
  }

  /**
   * Answers BUSY from the accept loop without reading. A fresh socket's send buffer is empty, so
   * the short write does not block; the client reads the answer before it sees the close (a
   * bare close would reach it as "connection reset" instead).
   */
  private void refuseBusyNow(AFUNIXSocket s) {
    try {
      Replies.writeLine(s.getOutputStream(), Replies.error(null, ErrorCode.BUSY, "server busy: " + maxConnections + " connections in use; try again"));
    } catch (IOException ignored) {
      // the client went away
    }
    closeQuietly(s);
  }

  private static java.util.concurrent.ThreadFactory daemonThreads(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  private static void closeQuietly(AFUNIXSocket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing
    }
  }

  private void serve(AFUNIXSocket s) {
    try (s) {
      s.setSoTimeout((int) Math.max(1, readTimeout.toMillis()));
      Peer peer = peerOf(s);
      OutputStream out = new BufferedOutputStream(s.getOutputStream(), 8192);
      InputStream in = s.getInputStream();
      LineReader reader = new LineReader(in, maxLineBytes);
      if (!peerPolicy.allows(peer)) {
        log.warn("refused a connection to {} from {}: not allowed by {}", socket, peer, PeerPolicy.describe(peerPolicy));
        Replies.refuseAfterFirstLine(reader, out, Math.min(readTimeout.toNanos(), TimeUnit.SECONDS.toNanos(2)), ErrorCode.FORBIDDEN,
            peer + " may not connect to " + socket.getFileName() + " (" + PeerPolicy.describe(peerPolicy) + ")");
        return;
      }
      while (!closed) {
        byte[] line;
        try {
          line = reader.readLine(System.nanoTime() + readTimeout.toNanos());
        } catch (LineReader.LineTooLongException e) {
          Replies.writeLine(out, Replies.error(null, ErrorCode.LINE_TOO_LONG, "request line longer than " + maxLineBytes + " bytes; connection closed"));
          return;
        } catch (SocketTimeoutException e) {
          Replies.writeLine(out, Replies.error(null, ErrorCode.TIMEOUT, "no complete request line within " + readTimeout.toMillis() + " ms; connection closed"));
          return;
        }
        if (line == null) {
          return;
        }
        if (line.length == 0) {
          continue;
        }
        inFlight.incrementAndGet();
        ANSWERING.set(true);
        try {
          Replies.writeLine(out, answer(line, peer));
        } finally {
          ANSWERING.set(false);
          inFlight.decrementAndGet();
        }
      }
    } catch (IOException e) {
      log.debug("connection on {} ended: {}", socket, e.toString());
    } catch (RuntimeException e) {
      log.error("unexpected failure serving a connection on {}", socket, e);
    }
  }

  private ObjectNode answer(byte[] line, Peer peer) {
    if (!isAscii(line)) { // the common case skips a decoder; anything else must be strict UTF-8
      try {
        StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(line));
      } catch (CharacterCodingException e) {
        return Replies.error(null, ErrorCode.BAD_ENCODING, "request is not valid UTF-8");
      }
    }
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(line);
    } catch (IOException e) {
      String why = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
      return Replies.error(null, ErrorCode.BAD_JSON, "malformed JSON: " + why);
    }
    if (node == null || !node.isObject()) {
      return Replies.error(null, ErrorCode.BAD_REQUEST, "a request must be a JSON object with a \"type\"");
    }
    ObjectNode request = (ObjectNode) node;
    JsonNode id = request.get("id");
    JsonNode type = request.get("type");
    if (type == null || !type.isTextual()) {
      return Replies.error(id, ErrorCode.BAD_REQUEST, "a request needs a string \"type\"");
    }
    if (type.asText().equals("ping")) {
      ObjectNode pong = Json.MAPPER.createObjectNode().put("type", "pong");
      Replies.setId(pong, id);
      return pong.put("pid", ProcessHandle.current().pid())
          .put("uptimeMs", (System.nanoTime() - startNanos) / 1_000_000).put("version", version);
    }
    try {
      ObjectNode body = handler.handle(request, peer);
      ObjectNode reply = Json.MAPPER.createObjectNode().put("type", "result");
      Replies.setId(reply, id);
      if (body != null) {
        body.fields().forEachRemaining(f -> {
          if (!f.getKey().equals("type") && !f.getKey().equals("id")) {
            reply.set(f.getKey(), f.getValue());
          }
        });
      }
      return reply;
    } catch (RpcException e) {
      return Replies.error(id, e.code(), e.getMessage());
    } catch (RuntimeException e) {
      log.error("handler failed on a '{}' request on {}", type.asText(), socket, e);
      return Replies.error(id, ErrorCode.INTERNAL, "internal error handling '" + type.asText() + "': " + e);
    }
  }

  private static boolean isAscii(byte[] bytes) {
    for (byte b : bytes) {
      if (b < 0) {
        return false;
      }
    }
    return true;
  }

  private static Peer peerOf(AFUNIXSocket s) throws IOException {
    AFUNIXSocketCredentials c = s.getPeerCredentials();
    long pid = c.getPid();
    return new Peer(pid > 0 ? OptionalLong.of(pid) : OptionalLong.empty(), c.getUid(), c.getGid());
  }

  public Path socket() {
    return socket;
  }

  /**
   * Stops accepting, removes the socket file (only if it is still the one this server bound) and
   * closes the connections in progress (at their next read). A reply being made is written first
   * (up to 2 s; a handler that closes its own server is not waited for), and a close() while
   * another thread closes returns once that one is done, so a process may exit right after it.
   */
  @Override
  public void close() {
    boolean first;
    synchronized (this) {
      first = !closed;
      closed = true;
    }
    if (!first) {
      if (!ANSWERING.get()) {
        try { // another thread is closing: done means the replies in flight are written
          closeDone.await(3, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return;
    }
    try {
      closeNow();
    } finally {
      closeDone.countDown();
    }
  }

  private void closeNow() {
    if (watcher != null) {
      watcher.shutdownNow();
    }
    try {
      if (server != null) {
        server.close();
      }
    } catch (IOException e) {
      log.debug("closing {}: {}", socket, e.toString());
    }
    socketFile.remove();
    if (pool != null) {
      // a reply being made (a hand-over answers with what it did, then the server goes): written first
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      int mine = ANSWERING.get() ? 1 : 0;
      while (inFlight.get() > mine && System.nanoTime() < deadline) {
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
      }
      pool.shutdownNow();
      rejector.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "JsonLineServer[" + socket + "]";
  }

  /** Builds a {@link JsonLineServer}. Not threadsafe. */
  public static final class Builder {
    private final Path socket;
    private JsonLineHandler handler = (r, p) -> {
      throw new RpcException(ErrorCode.UNKNOWN_TYPE, "unknown request type '" + r.path("type").asText() + "'");
    };
    private int maxLineBytes = 1 << 20;
    private Duration readTimeout = Duration.ofSeconds(10);
    private int maxConnections = 64;
    private int workers = 8;
    private PeerPolicy peerPolicy = PeerPolicy.sameUser();
    private String version = "dev";
    private Duration socketCheck = Duration.ofSeconds(1);

    private Builder(Path socket) {
      this.socket = Objects.requireNonNull(socket, "socket").toAbsolutePath();
      if (this.socket.toString().getBytes(StandardCharsets.UTF_8).length > 107) {
        throw new IllegalArgumentException("socket path " + this.socket + " is longer than the 107 bytes a Unix socket address holds;"
            + " use a shorter home or runtime directory");
      }
    }

    /** Answers every type but {@code ping}; the default answers UNKNOWN_TYPE. */
    public Builder handler(JsonLineHandler handler) {
      this.handler = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /** Default 1 MiB. @throws IllegalArgumentException if below 64 */
    public Builder maxLineBytes(int max) {
      if (max < 64) {
        throw new IllegalArgumentException("maxLineBytes must be at least 64, got " + max);
      }
      this.maxLineBytes = max;
      return this;
    }

    /** How long a line may take to arrive, and how long an idle connection stays open; default 10 s. */
    public Builder readTimeout(Duration timeout) {
      if (Objects.requireNonNull(timeout, "timeout").isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("readTimeout must be positive, got " + timeout);
      }
      this.readTimeout = timeout;
      return this;
    }

    /** Connections served or waiting at once (default 64); more get BUSY. @throws IllegalArgumentException if below the workers */
    public Builder maxConnections(int max) {
      this.maxConnections = max;
      return this;
    }

    /** Platform threads serving connections (default 8). @throws IllegalArgumentException if below 1 */
    public Builder workers(int workers) {
      if (workers < 1) {
        throw new IllegalArgumentException("workers must be at least 1, got " + workers);
      }
      this.workers = workers;
      return this;
    }

    public Builder peerPolicy(PeerPolicy policy) {
      this.peerPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** The version reported by {@code ping}. */
    public Builder version(String version) {
      this.version = Objects.requireNonNull(version, "version");
      return this;
    }

    /**
     * How often the server checks that its socket file is still the one it bound, and binds again
     * if it was deleted or replaced by a stale one (default 1 s: one {@code stat} each time);
     * {@link Duration#ZERO} turns the check off.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder socketCheckInterval(Duration every) {
      if (Objects.requireNonNull(every, "every").isNegative()) {
        throw new IllegalArgumentException("socketCheckInterval must not be negative, got " + every);
      }
      this.socketCheck = every;
      return this;
    }

    public JsonLineServer build() {
      if (maxConnections < workers) {
        throw new IllegalArgumentException("maxConnections (" + maxConnections + ") must be at least workers (" + workers + ")");
      }
      return new JsonLineServer(this);
    }
  }
}
