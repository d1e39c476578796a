package dev.supervisor.ipc.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads {@code \n}-terminated lines of bytes with a length limit, so a 100 MB line costs at most
 * {@code maxBytes} of memory before it is refused. Not threadsafe.
 */
public final class LineReader {
  /** The line exceeded the limit; the rest of it is unread. */
  public static final class LineTooLongException extends IOException {
    private static final long serialVersionUID = 1L;

    LineTooLongException(int max) {
      super("line longer than " + max + " bytes");
    }
  }

  private final InputStream in;
  private final int maxBytes;
  private final byte[] buf = new byte[8192];
  private int pos;
  private int end;
  private byte[] line = new byte[256];

  public LineReader(InputStream in, int maxBytes) {
    this.in = in;
    this.maxBytes = maxBytes;
  }

  /**
   * The next line without its terminator ({@code \r\n} accepted), or null at end of stream. A
   * final line without {@code \n} is returned only if complete input ended cleanly... it is not:
   * a client that disconnects mid-line sent no request, so the partial line is dropped.
   *
   * @param deadlineNanos {@link System#nanoTime()} by which the line must be complete
   * @throws LineTooLongException past {@code maxBytes}
   * @throws java.net.SocketTimeoutException when the deadline passes (checked between reads)
   */
  public byte[] readLine(long deadlineNanos) throws IOException {
    int len = 0;
    while (true) {
      if (pos == end) {
        if (System.nanoTime() - deadlineNanos > 0) {
          throw new java.net.SocketTimeoutException("line not complete within the read timeout");
        }
        end = in.read(buf, 0, buf.length);
        pos = 0;
        if (end <= 0) {
          end = 0;
          return null;
        }
      }
      int start = pos;
      while (pos < end && buf[pos] != '\n') {
        pos++;
      }
      int n = pos - start;
      if (len + n > maxBytes) {
        throw new LineTooLongException(maxBytes);
      }
      if (len + n > line.length) {
        line = Arrays.copyOf(line, Math.min(maxBytes, Math.max(line.length * 2, len + n)));
      }
      System.arraycopy(buf, start, line, len, n);
      len += n;
      if (pos < end) {
        pos++; // the '\n'
        if (len > 0 && line[len - 1] == '\r') {
          len--;
        }
        return Arrays.copyOf(line, len);
      }
    }
  }
}
