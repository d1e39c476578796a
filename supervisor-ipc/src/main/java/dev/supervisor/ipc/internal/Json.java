package dev.supervisor.ipc.internal;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The shared mapper: strict JSON, nesting limited to 64 levels so deep input is cheap to refuse. */
public final class Json {
  public static final int MAX_DEPTH = 64;
  public static final JsonMapper MAPPER = JsonMapper.builder()
      .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .build();

  static {
    MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build());
  }

  private Json() {}
}
