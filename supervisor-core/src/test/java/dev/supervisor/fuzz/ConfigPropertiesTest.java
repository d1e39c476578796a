package dev.supervisor.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.ConfigException;
import dev.supervisor.SupervisorConfig;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Every malformed config gets a {@link ConfigException} that names the source and, for a field,
 * its path; nothing else ever escapes the loader.
 */
class ConfigPropertiesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String VALID = "{\"strategy\":\"one-for-one\",\"children\":["
      + "{\"name\":\"w1\",\"command\":[\"sleep\",\"100\"],\"workingDir\":null,\"env\":{\"A\":\"1\"},\"restart\":\"on-failure\","
      + "\"backoff\":{\"initial\":\"1s\",\"max\":\"30s\"},\"maxRestarts\":5,\"window\":\"60s\",\"stopSignal\":\"TERM\","
      + "\"stopGrace\":\"10s\",\"dependsOn\":[]},"
      + "{\"name\":\"w2\",\"command\":[\"sleep\",\"100\"],\"dependsOn\":[\"w1\"],\"logs\":{\"maxBytes\":1000,\"keep\":2,\"gzip\":false}}]}";

  private static final List<JsonNode> VALUES = List.of(JSON.nullNode(), JSON.getNodeFactory().textNode(""),
      JSON.getNodeFactory().textNode("10x"), JSON.getNodeFactory().textNode("w1"), JSON.getNodeFactory().numberNode(-1),
      JSON.getNodeFactory().numberNode(2.5), JSON.getNodeFactory().booleanNode(true), JSON.createArrayNode(),
      JSON.createObjectNode(), JSON.getNodeFactory().textNode("Bad Name"), JSON.getNodeFactory().numberNode(1_000_000));

  @Property(tries = 1000)
  void everyMutationParsesOrFailsWithANamedField(@ForAll("seeds") long seed) throws Exception {
    Random r = new Random(seed);
    JsonNode doc = JSON.readTree(VALID);
    int mutations = 1 + r.nextInt(3);
    for (int i = 0; i < mutations; i++) {
      mutate(doc, r);
    }
    String text = doc.toString();
    try {
      SupervisorConfig.parse(text, "fuzz.json");
    } catch (ConfigException e) {
      assertThat(e.getMessage()).as(text).startsWith("fuzz.json: ");
      assertThat(e.getMessage().length()).isGreaterThan("fuzz.json: ".length() + 5);
    }
  }

  @Property(tries = 500)
  void truncatedOrGarbledTextFailsCleanly(@ForAll("cuts") int cut, @ForAll("seeds") long seed) {
    String text = VALID.substring(0, Math.min(cut, VALID.length()));
    if (seed % 3 == 0 && !text.isEmpty()) {
      char[] c = text.toCharArray();
      c[(int) Math.floorMod(seed, c.length)] = (char) ('!' + Math.floorMod(seed, 90));
      text = new String(c);
    }
    try {
      SupervisorConfig.parse(text, "fuzz.json");
    } catch (ConfigException e) {
      assertThat(e.getMessage()).startsWith("fuzz.json: ");
    }
  }

  /** Replaces, removes or adds one field somewhere in the tree. */
  private static void mutate(JsonNode root, Random r) {
    List<JsonNode> containers = new ArrayList<>();
    collect(root, containers);
    JsonNode target = containers.get(r.nextInt(containers.size()));
    JsonNode value = VALUES.get(r.nextInt(VALUES.size())).deepCopy();
    if (target instanceof ObjectNode o) {
      List<String> names = new ArrayList<>();
      for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
        names.add(it.next());
      }
      int op = r.nextInt(3);
      if (op == 0 && !names.isEmpty()) {
        o.remove(names.get(r.nextInt(names.size())));
      } else if (op == 1 && !names.isEmpty()) {
        o.set(names.get(r.nextInt(names.size())), value);
      } else {
        o.set("extra" + r.nextInt(3), value);
      }
    } else if (target instanceof ArrayNode a) {
      if (a.size() > 0 && r.nextBoolean()) {
        a.set(r.nextInt(a.size()), value);
      } else {
        a.add(value);
      }
    }
  }

  private static void collect(JsonNode n, List<JsonNode> out) {
    if (n.isContainerNode()) {
      out.add(n);
      n.forEach(c -> collect(c, out));
    }
  }

  @Provide
  Arbitrary<Long> seeds() {
    return Arbitraries.longs();
  }

  @Provide
  Arbitrary<Integer> cuts() {
    return Arbitraries.integers().between(0, VALID.length());
  }
}
