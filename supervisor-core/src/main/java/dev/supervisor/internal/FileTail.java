package dev.supervisor.internal;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The last lines of a file, read backwards from its end: never more than 16 MiB, whatever the file's size. */
public final class FileTail {
  private static final long MAX_BYTES = 16L << 20;

  private FileTail() {}

  public static List<String> lastLines(Path file, int n) throws IOException {
    if (!Files.exists(file) || n <= 0) {
      return List.of();
    }
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      long end = f.length();
      long pos = end;
      int newlines = 0;
      byte[] buf = new byte[8192];
      outer:
      while (pos > 0 && end - pos < MAX_BYTES) {
        int len = (int) Math.min(buf.length, pos);
        pos -= len;
        f.seek(pos);
        f.readFully(buf, 0, len);
        for (int i = len - 1; i >= 0; i--) {
          if (buf[i] == '\n' && pos + i != end - 1 && ++newlines == n) {
            pos = pos + i + 1;
            break outer;
          }
        }
      }
      byte[] bytes = new byte[(int) (end - pos)];
      f.seek(pos);
      f.readFully(bytes);
      List<String> lines = new ArrayList<>(Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\n", -1)));
      if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
        lines.remove(lines.size() - 1);
      }
      return lines;
    }
  }
}
