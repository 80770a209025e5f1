package dev.ember.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ember.engine.api.Constraint;
import dev.ember.engine.api.KvCacheType;

/** The job's structured-output and KV cache flags (issues 14 and 11), parsed without Spark. */
class TestJobStructuredFlags {
  private static final String[] BASE = {"--model", "m", "--input", "a", "--output", "b"};

  private static JobArgs parse(String... flags) {
    String[] all = new String[BASE.length + flags.length];
    System.arraycopy(BASE, 0, all, 0, BASE.length);
    System.arraycopy(flags, 0, all, BASE.length, flags.length);
    return JobArgs.parse(all);
  }

  @Test
  void jsonSchemaFileOutputSchemaRegexChoicesAndKvCache(@TempDir Path dir) throws Exception {
    Path schema = dir.resolve("person.json");
    Files.writeString(schema, "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}},\"required\":[\"name\"]}");
    JobArgs job = parse("--json-schema", schema.toString(), "--output-schema", "name STRING", "--kv-cache-type", "q8_0",
        "--kv-cache-bytes", "1048576");
    assertEquals(new Constraint.JsonSchema(Files.readString(schema)), job.options().sampling().toBuilder().build().constraint());
    assertEquals("name STRING", job.options().sampling().constraint().outputSchema());
    assertEquals(KvCacheType.Q8_0, job.options().engine().toEngineOptions(1).kvCacheType());
    assertEquals(1L << 20, job.options().engine().toEngineOptions(1).kvCacheBytes());

    assertEquals(new Constraint.Regex("[0-9]{3}"), parse("--regex", "[0-9]{3}").options().sampling().toBuilder().build().constraint());
    assertEquals(new Constraint.Choice(List.of("yes", "no")),
        parse("--choices", "yes,no").options().sampling().toBuilder().build().constraint());
    assertEquals(new Constraint.JsonSchema("{\"type\":\"integer\"}"),
        parse("--json-schema", "{\"type\":\"integer\"}").options().sampling().toBuilder().build().constraint(), "inline schema text");
  }

  @Test
  void badFlagsAreOneLine(@TempDir Path dir) {
    assertMessage("--json-schema " + dir.resolve("nope.json") + ": cannot read the file", () -> parse("--json-schema", dir.resolve("nope.json").toString()));
    assertMessage("give at most one of jsonSchema, regex, choices, grammar", () -> parse("--regex", "a", "--choices", "a,b"));
    assertMessage("unknown KV cache type 'f8'; use f32, f16, bf16 or q8_0", () -> parse("--kv-cache-type", "f8"));
    assertMessage("unsupported JSON Schema keyword 'patternProperties'", () -> parse("--json-schema", "{\"patternProperties\":{}}"));
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), e.getMessage());
  }
}
