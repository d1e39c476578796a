package dev.supervisor.examples.tools;

import com.fasterxml.jackson.databind.ObjectMapper;

/** The examples' shared Jackson mapper. */
public final class Jsons {
  public static final ObjectMapper MAPPER = new ObjectMapper();

  private Jsons() {}
}
