package dev.ember.spark.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import dev.ember.engine.api.Constraint;
import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.spark.SparkTestBase;

/**
 * Structured output on the DataFrame surface (issue 14) on local[2] and the real engine with
 * stories260K: every output is checked by an independent JSON Schema validator (networknt), the
 * typed struct equals the JSON it came from, bad rows carry errors, no row is lost, and every text
 * equals the engine's own output for the same prompt, seed and constraint.
 */
class TestStructuredOutput extends SparkTestBase {
  private static final String DDL = "name STRING, age INT, tags ARRAY<STRING>";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonSchemaFactory SCHEMAS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
  private static final SchemaValidatorsConfig STRICT = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
  private static final int MAX_TOKENS = 64;
  private static final String BOUNDED = "{\"type\":\"object\",\"properties\":{"
      + "\"name\":{\"type\":\"string\",\"maxLength\":8},"
      + "\"age\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":120},"
      + "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"maxLength\":6},\"maxItems\":2}},"
      + "\"required\":[\"name\",\"age\",\"tags\"],\"additionalProperties\":false}";

  private static EmberOptions options() {
    return EmberOptions.model(storiesModel().toString()).withThreads(1).withMaxTokens(MAX_TOKENS).withTemperature(1.0f);
  }

  private static String prompt(int i) {
    String[] names = {"Tom", "Lily", "Ben", "Sue", "Max"};
    return "Once upon a time, " + names[i % 5] + " was " + (3 + i % 7) + " years old and liked to play " + i + ".";
  }

  @Test
  void outputSchemaOver500RowsGivesTypedColumnsValidJsonAndTheEngineOwnText() throws Exception {
    int rows = 500;
    List<Row> data = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      data.add(RowFactory.create((long) i, prompt(i), (long) i, null));
    }
    // Bad rows get an error and the job goes on: no prompt; an output cut short by max tokens.
    data.add(RowFactory.create((long) rows, null, 0L, null));
    data.add(RowFactory.create((long) rows + 1, prompt(1), 1L, 3));
    StructType schema = new StructType().add("id", DataTypes.LongType).add("prompt", DataTypes.StringType).add("seed", DataTypes.LongType)
        .add("max_tokens", DataTypes.IntegerType);
    Dataset<Row> df = spark.createDataFrame(data, schema);
    // The DDL's own JSON schema lets strings and arrays run on, which a 260K-parameter model at
    // temperature 1 does past any token budget; a JSON schema with bounds (same types) keeps most
    // outputs complete, and the DDL still types the parsed struct. The derived schema is checked below.
    EmberOptions opts = options().withOutputSchema(DDL).withJsonSchema(BOUNDED).withRowOptions(RowOptionColumns.parse("seed,max_tokens"));

    Dataset<Row> out = Ember.generate(df, opts);
    StructType results = (StructType) out.schema().apply("ember").dataType();
    assertEquals(List.of("text", "finish_reason", "prompt_tokens", "cached_prompt_tokens", "completion_tokens", "logprobs", "parsed",
        "latency_ms", "error"), List.of(results.fieldNames()));
    assertEquals(StructType.fromDDL(DDL), results.apply("parsed").dataType(), "the parsed field has the DDL's types");
    List<Row> got = out.select("id", "prompt", "ember.*").orderBy("id").collectAsList();
    assertEquals(rows + 2, got.size(), "no row is lost");
    Set<Long> ids = new HashSet<>();
    got.forEach(r -> ids.add(r.getLong(0)));
    assertEquals(rows + 2, ids.size());

    String jsonSchema = BOUNDED;
    JsonSchema validator = SCHEMAS.getSchema(jsonSchema, STRICT);
    List<Request> requests = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      requests.add(Request.ofText("r" + i, prompt(i), SamplingParams.builder().maxTokens(MAX_TOKENS).temperature(1.0f).seed(i)
          .constraint(new Constraint.JsonSchema(jsonSchema)).build()));
    }
    List<Result> alone;
    try (Engine engine = Engine.open(storiesModel(), EngineOptions.defaults().withThreads(1))) {
      alone = engine.generate(requests);
    }
    int parsed = 0;
    int cut = 0;
    for (int k = 0; k < rows; k++) {
      final int i = k;
      Row r = got.get(i);
      Result expected = alone.get(i);
      String text = r.getAs("text");
      assertEquals(expected.text(), text, "row " + i + ": the engine's own constrained output for the same seed");
      assertEquals(expected.finishReason().wireName(), r.getAs("finish_reason"));
      if (r.getAs("error") == null) {
        parsed++;
        assertEquals("stop", r.getAs("finish_reason"));
        Set<ValidationMessage> problems = validator.validate(text, InputFormat.JSON);
        assertTrue(problems.isEmpty(), () -> "row " + i + " '" + text + "': " + problems);
        JsonNode json = JSON.readTree(text);
        Row p = r.getAs("parsed");
        assertNotNull(p, "a row without error has its struct");
        assertEquals(json.get("name").textValue(), p.getAs("name"));
        assertEquals(json.get("age").intValue(), (int) p.getAs("age"));
        List<String> tags = new ArrayList<>();
        json.get("tags").forEach(t -> tags.add(t.textValue()));
        assertEquals(tags, scala.jdk.javaapi.CollectionConverters.asJava(p.<scala.collection.Seq<String>>getAs("tags")));
      } else {
        cut++;
        // With a schema every output is valid as far as it goes; the only failure is being cut short.
        assertEquals("length", r.getAs("finish_reason"), () -> "row " + i + ": " + r);
        assertTrue(String.valueOf((Object) r.getAs("error")).contains("incomplete"), () -> "row " + i + ": " + r);
        assertNull(r.getAs("parsed"));
        assertNotNull(text, "an incomplete output keeps its text");
        assertEquals(expected.error(), r.getAs("error"));
      }
    }
    System.out.println("TestStructuredOutput: " + parsed + " of " + rows + " rows parsed, " + cut + " cut short at " + MAX_TOKENS + " tokens");
    assertTrue(parsed > 0, "some outputs must complete within " + MAX_TOKENS + " tokens");
    Row bad = got.get(rows);
    assertEquals("prompt is null", bad.getAs("error"));
    assertNull(bad.getAs("parsed"));
    Row cut3 = got.get(rows + 1);
    assertEquals("length", cut3.getAs("finish_reason"));
    assertTrue(String.valueOf((Object) cut3.getAs("error")).contains("incomplete"), cut3.toString());
    assertNull(cut3.getAs("parsed"));
    assertTrue(((String) cut3.getAs("text")).startsWith("{"), "the partial output is kept: " + cut3);
  }

  @Test
  void perRowResponseFormatChoicesAndRegex() throws Exception {
    String integer = "{\"type\":\"integer\",\"minimum\":0,\"maximum\":99}";
    String word = "{\"enum\":[\"cat\",\"dog\"]}";
    StructType schema = new StructType().add("id", DataTypes.IntegerType).add("prompt", DataTypes.StringType)
        .add("response_format", DataTypes.StringType);
    List<Row> data = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      data.add(RowFactory.create(i, prompt(i), i % 3 == 0 ? integer : i % 3 == 1 ? word : null));
    }
    data.add(RowFactory.create(99, prompt(99), "{\"type\":\"object\",\"patternProperties\":{}}")); // unsupported keyword: that row's error
    Dataset<Row> df = spark.createDataFrame(data, schema);
    List<Row> got = Ember.generate(df, options().withMaxTokens(16).withRowOptions(RowOptionColumns.all()))
        .select("id", "response_format", "ember.*").orderBy("id").collectAsList();
    for (Row r : got) {
      int id = r.getInt(0);
      String text = r.getAs("text");
      if (id == 99) {
        assertTrue(String.valueOf((Object) r.getAs("error")).contains("patternProperties"), r.toString());
      } else if (id % 3 == 0) {
        assertNull(r.getAs("error"), r.toString());
        int v = Integer.parseInt(text);
        assertTrue(v >= 0 && v <= 99, text);
      } else if (id % 3 == 1) {
        assertTrue(Set.of("\"cat\"", "\"dog\"").contains(text), text);
      }
    }

    List<Row> chosen = Ember.generate(df.drop("response_format"), options().withChoices("yes", "no", "maybe")).select("ember.text").collectAsList();
    chosen.forEach(r -> assertTrue(Set.of("yes", "no", "maybe").contains(r.getString(0)), r.toString()));
    List<Row> matched = Ember.generate(df.drop("response_format"), options().withMaxTokens(24).withRegex("[a-z]{1,6}-[0-9]{2}"))
        .select("ember.text", "ember.error").collectAsList();
    for (Row r : matched) {
      if (r.isNullAt(1)) {
        assertTrue(r.getString(0).matches("[a-z]{1,6}-[0-9]{2}"), r.toString());
      }
    }
  }

  @Test
  void badConstraintsFailOnTheDriverWithOneLine() {
    Dataset<Row> df = spark.createDataFrame(List.of(RowFactory.create("x")), new StructType().add("prompt", DataTypes.StringType));
    assertMessage("unsupported JSON Schema keyword 'patternProperties'",
        () -> Ember.generate(df, options().withJsonSchema("{\"type\":\"object\",\"patternProperties\":{}}")));
    assertMessage("give at most one of jsonSchema, regex, choices, grammar",
        () -> Ember.generate(df, options().withRegex("a+").withChoices("a")));
    assertMessage("has type map<string,int>, which structured output does not support",
        () -> options().withOutputSchema("m MAP<STRING, INT>"));
    assertMessage("is not a Spark DDL schema", () -> options().withOutputSchema("name STRIN,"));
    assertMessage("apply to generate, not score", () -> Ember.score(df, options().withRegex("a+")));
    assertMessage("unknown option 'jsonSchma'; did you mean 'jsonSchema'?", () -> options().with("jsonSchma", "{}"));
    // The schema derived from the DDL: every field required, integers within INT, nothing else allowed.
    assertEquals("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
        + "\"age\":{\"type\":\"integer\",\"minimum\":-2147483648,\"maximum\":2147483647},"
        + "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},"
        + "\"required\":[\"name\",\"age\",\"tags\"],\"additionalProperties\":false}", JsonSchemas.fromDdl(DDL));
    // The option names reach the same settings.
    EmberOptions o = options().with("outputSchema", DDL).with("parsedCol", "person");
    assertEquals(DDL, o.sampling().constraint().outputSchema());
    StructType t = Task.resolve(Task.generate(), o).resultType();
    assertTrue(List.of(t.fieldNames()).contains("person"));
    assertTrue(((StructType) t.apply("person").dataType()).apply("tags").dataType() instanceof ArrayType);
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
  }
}
