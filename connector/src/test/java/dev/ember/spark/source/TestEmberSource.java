package dev.ember.spark.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.execution.RowDataSourceScanExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.datasources.v2.BatchScanExec;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.SamplingParams;
import dev.ember.spark.SparkTestBase;

/** spark.read.format("ember") on local[2] and the real engine. */
class TestEmberSource extends SparkTestBase {
  @TempDir Path dir;

  private Path jsonl() throws Exception {
    return Files.writeString(
        dir.resolve("prompts.jsonl"),
        """
        {"id": 1, "prompt": "Once upon a time"}
        {"id": 2, "prompt": "Lily went to the park", "max_tokens": 3}

        {"id": 3, "prompt": null}
        not json at all
        {"id": 5, "prompt": "The little dog"}
        {"id": 6, "prompt": "One day, Tom", "max_tokens": -2}
        """);
  }

  private Dataset<Row> read(Path path, String... options) {
    var reader = spark.read().format("ember").option("model", storiesModel().toString()).option("maxTokens", "8").option("threads", "1");
    for (int i = 0; i < options.length; i += 2) {
      reader = reader.option(options[i], options[i + 1]);
    }
    return reader.load(path.toString());
  }

  @Test
  void outputSchemaGivesATypedStructThroughArrow() throws Exception {
    // Issue 14 on format("ember"): the parsed struct travels through the Arrow batches like any field.
    Dataset<Row> df = read(jsonl(), "maxTokens", "48", "outputSchema", "n INT, ok BOOLEAN", "parsedCol", "value",
        "jsonSchema", "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":99},"
            + "\"ok\":{\"type\":\"boolean\"}},\"required\":[\"n\",\"ok\"],\"additionalProperties\":false}");
    List<Row> rows = df.select("id", "ember.text", "ember.value", "ember.error").collectAsList();
    assertEquals(6, rows.size());
    int typed = 0;
    for (Row r : rows) {
      if (r.isNullAt(3)) {
        typed++;
        Row v = r.getStruct(2);
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.getString(1));
        assertEquals(json.get("n").intValue(), v.getInt(0));
        assertEquals(json.get("ok").booleanValue(), v.getBoolean(1));
      } else {
        assertTrue(r.isNullAt(2), r.toString());
      }
    }
    assertTrue(typed >= 3, "the rows with a prompt parse: " + rows);
  }

  @Test
  void jsonLinesBecomeResultRowsInColumnarBatches() throws Exception {
    Dataset<Row> df = read(jsonl(), "rowOptions", "all");
    assertEquals(List.of("id", "prompt", "max_tokens", "ember"), List.of(df.columns()));
    List<Row> rows = df.select("id", "prompt", "ember.*").collectAsList();
    assertEquals(6, rows.size(), "blank line skipped, malformed line kept as an error row");
    Map<Object, Row> byId = new java.util.HashMap<>();
    rows.forEach(r -> byId.put(r.getAs("id"), r));

    try (Engine engine = Engine.open(storiesModel(), EngineOptions.defaults().withThreads(1))) {
      String expected = engine.submit(Request.ofText("x", "Once upon a time", SamplingParams.greedy(8))).join().text();
      assertEquals(expected, byId.get(1L).getAs("text"));
    }
    assertTrue((int) byId.get(2L).getAs("completion_tokens") <= 3);
    assertEquals("prompt is null", byId.get(3L).getAs("error"));
    assertEquals("prompt is null", byId.get(null).getAs("error"), "the malformed line");
    assertNull(byId.get(5L).getAs("error"));
    assertTrue(((String) byId.get(6L).getAs("error")).contains("max_tokens"));

    BatchScanExec scan = scanNode(df.queryExecution().executedPlan());
    assertTrue(scan.supportsColumnar(), "the scan returns columnar batches");
  }

  @Test
  void metricsAppearOnTheScanNode() throws Exception {
    Dataset<Row> df = read(jsonl(), "rowOptions", "all");
    df.collectAsList();
    Map<String, SQLMetric> metrics = scala.jdk.javaapi.CollectionConverters.asJava(scanNode(df.queryExecution().executedPlan()).metrics());
    assertTrue(metrics.get(EmberMetrics.COMPLETION_TOKENS).value() > 0, metrics.toString());
    assertTrue(metrics.get(EmberMetrics.PROMPT_TOKENS).value() > 0);
    assertEquals(3, metrics.get(EmberMetrics.ERROR_ROWS).value());
  }

  @Test
  void partitionsArePlannedByEstimatedTokens() throws Exception {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      text.append("Once upon a time ").append(i).append('\n');
    }
    Path file = Files.writeString(dir.resolve("prompts.txt"), text.toString());
    // Each line: ~5 prompt tokens + 8 max tokens; 65 tokens per partition gives 5 lines each.
    Dataset<Row> df = read(file, "partitionTokens", "65");
    assertEquals(8, df.rdd().getNumPartitions());
    List<Row> rows = df.select("prompt", "ember.*").collectAsList();
    assertEquals(40, rows.size());
    assertEquals(40, rows.stream().filter(r -> r.getAs("error") == null).count());
    assertEquals(List.of("prompt", "ember"), List.of(df.columns()));
  }

  @Test
  void scoreTask() throws Exception {
    Path file = Files.writeString(dir.resolve("texts.txt"), "Once upon a time there was a cat.\n\n");
    List<Row> rows = read(file, "task", "score").select("prompt", "ember.*").collectAsList();
    assertEquals(2, rows.size());
    Row ok = rows.stream().filter(r -> !((String) r.getAs("prompt")).isEmpty()).findFirst().orElseThrow();
    assertTrue((double) ok.getAs("perplexity") > 1);
    assertEquals(1, rows.stream().filter(r -> "prompt is empty".equals(r.getAs("error"))).count());
  }

  @Test
  void badModelOrOptionsFailAtLoad() throws Exception {
    Path file = jsonl();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> spark.read().format("ember").option("model", "/nope.gguf").load(file.toString()));
    assertTrue(e.getMessage().contains("model not found"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> read(file, "maxTokens", "-1"));
    assertTrue(e.getMessage().contains("max_tokens"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> read(dir.resolve("missing.jsonl")));
    assertTrue(e.getMessage().contains("prompts not found"), e.getMessage());
  }

  @Test
  void unknownOptionsFailNamingTheClosest() throws Exception {
    Path file = jsonl();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(file, "maxToken", "4"));
    assertTrue(e.getMessage().contains("unknown option 'maxToken'; did you mean 'maxTokens'?"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> read(file, "max_tokens", "4"));
    assertTrue(e.getMessage().contains("did you mean 'maxTokens'"), "one spelling per surface: " + e.getMessage());
  }

  @Test
  void aReadOnlyParquetInputIsReadInPlaceWithItsTypes() throws Exception {
    Path input = Files.createDirectories(dir.resolve("ro"));
    Path parquet = input.resolve("prompts.parquet");
    spark.sql("SELECT * FROM VALUES (1, DATE'2024-01-02', 'Once upon a'), (2, DATE'2024-03-04', 'The little dog') AS t(id, day, prompt)")
        .write().parquet(parquet.toString());
    List<Path> before = tree(input);
    parquet.toFile().setWritable(false);
    input.toFile().setWritable(false);
    try {
      Dataset<Row> df = read(parquet, "task", "classify", "labels", "time,banana");
      assertEquals(DataTypes.IntegerType, df.schema().apply("id").dataType(), "an INT stays an INT");
      assertEquals(DataTypes.DateType, df.schema().apply("day").dataType());
      Map<Object, Row> byId = new java.util.HashMap<>();
      df.select("id", "day", "ember.*").collectAsList().forEach(r -> byId.put(r.getAs("id"), r));
      assertEquals(Set.of(1, 2), byId.keySet());
      assertEquals("time", byId.get(1).getAs("label"));
      assertEquals(java.sql.Date.valueOf("2024-03-04"), byId.get(2).getAs("day"));
      assertTrue(hasNode(df.queryExecution().executedPlan(), RowDataSourceScanExec.class), "Spark reads the input; the source reads no copy");
    } finally {
      input.toFile().setWritable(true);
      parquet.toFile().setWritable(true);
    }
    assertEquals(before, tree(input), "nothing is written beside the input");
  }

  @Test
  void tablesAndViewsKeepTheirColumnTypesAndAreNotCopied() throws Exception {
    Dataset<Row> src = spark.sql(
        "SELECT * FROM VALUES (1, DATE'2024-01-02', named_struct('who', 'Lily', 'age', 3), 'Once upon a time'),"
            + " (2, DATE'2024-05-06', named_struct('who', 'Tom', 'age', 5), 'The little dog'),"
            + " (3, CAST(NULL AS DATE), CAST(NULL AS STRUCT<who: STRING, age: INT>), CAST(NULL AS STRING)) AS t(id, day, meta, prompt)");
    Path location = dir.resolve("story_table");
    src.write().option("path", location.toString()).saveAsTable("story_table");
    src.createOrReplaceTempView("story_view");
    List<Path> before = tree(location);
    Map<Integer, Row> expected = new java.util.HashMap<>();
    src.collectAsList().forEach(r -> expected.put(r.getInt(0), r));
    String[] texts = new String[3];
    try (Engine engine = Engine.open(storiesModel(), EngineOptions.defaults().withThreads(1))) {
      texts[1] = engine.submit(Request.ofText("x", "Once upon a time", SamplingParams.greedy(8))).join().text();
      texts[2] = engine.submit(Request.ofText("x", "The little dog", SamplingParams.greedy(8))).join().text();
    }
    try {
      for (String name : List.of("story_table", "story_view")) {
        Dataset<Row> df = spark.read().format("ember").option("model", storiesModel().toString()).option("maxTokens", "8")
            .option("threads", "1").option("table", name).load();
        assertEquals(List.of("id", "day", "meta", "prompt", "ember"), List.of(df.columns()), name);
        StructType inputTypes = spark.table(name).schema();
        for (var field : inputTypes.fields()) {
          assertEquals(field, df.schema().apply(field.name()), name + ": the input's column as it is");
        }
        assertEquals(DataTypes.IntegerType, df.schema().apply("id").dataType(), name);
        assertEquals(DataTypes.DateType, df.schema().apply("day").dataType(), name);
        List<Row> rows = df.select("id", "day", "meta", "ember.text", "ember.error").collectAsList();
        assertEquals(3, rows.size(), name);
        for (Row r : rows) {
          int id = r.getInt(0);
          Row in = expected.get(id);
          assertEquals(in.get(1), r.get(1), name + " day of " + id);
          assertEquals(in.get(2), r.get(2), name + " struct of " + id);
          if (id == 3) {
            assertEquals("prompt is null", r.getString(4), name);
          } else {
            assertNull(r.get(4), name + ": " + r);
            assertEquals(id == 1 ? "Lily" : "Tom", r.getStruct(2).getString(0));
            assertEquals(texts[id], r.getString(3), name + " text of " + id);
          }
        }
        assertTrue(hasNode(df.queryExecution().executedPlan(), RowDataSourceScanExec.class), name);
      }
    } finally {
      spark.sql("DROP TABLE IF EXISTS story_table");
      spark.catalog().dropTempView("story_view");
    }
    assertEquals(before, tree(location), "the table's files are untouched and nothing is added beside them");
  }

  /** Every file and directory under root, sorted. */
  private static List<Path> tree(Path root) throws java.io.IOException {
    try (var paths = Files.walk(root)) {
      return paths.sorted().toList();
    }
  }

  private static boolean hasNode(SparkPlan plan, Class<?> type) {
    return plan.find(new scala.runtime.AbstractFunction1<SparkPlan, Object>() {
      @Override
      public Object apply(SparkPlan p) {
        return type.isInstance(p);
      }
    }).isDefined();
  }

  private static BatchScanExec scanNode(SparkPlan plan) {
    return (BatchScanExec) plan.collectFirst(new scala.PartialFunction<SparkPlan, SparkPlan>() {
      @Override
      public boolean isDefinedAt(SparkPlan p) {
        return p instanceof BatchScanExec;
      }

      @Override
      public SparkPlan apply(SparkPlan p) {
        return p;
      }
    }).get();
  }

  @Test
  void parquetAndCsvPromptsAreReadThroughANamedPromptColumn() throws Exception {
    Dataset<Row> src = spark.sql("SELECT * FROM VALUES (1L, 'Once upon a time'), (2L, 'The little dog'), (3L, NULL) AS t(id, story)");
    Path parquet = dir.resolve("prompts.parquet");
    src.write().parquet(parquet.toString());
    Path csv = dir.resolve("prompts.csv");
    src.coalesce(1).write().option("header", "true").csv(csv.toString());
    String expected;
    try (Engine engine = Engine.open(storiesModel(), EngineOptions.defaults().withThreads(1))) {
      expected = engine.submit(Request.ofText("x", "Once upon a time", SamplingParams.greedy(8))).join().text();
    }
    for (var entry : List.of(List.of(parquet.toString(), "parquet"), List.of(csv.toString(), "csv"))) {
      Dataset<Row> df = read(Path.of(entry.get(0)), "format", entry.get(1), "promptColumn", "story");
      Map<Object, Row> byId = new java.util.HashMap<>();
      df.select("id", "ember.*").collectAsList().forEach(r -> byId.put(((Number) r.getAs("id")).longValue(), r));
      assertEquals(3, byId.size(), entry.get(1));
      assertEquals(expected, byId.get(1L).getAs("text"), entry.get(1));
      assertEquals("prompt is null", byId.get(3L).getAs("error"), entry.get(1));
    }
    Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
        () -> read(parquet, "format", "parquet", "promptColumn", "nope").collectAsList());
    org.junit.jupiter.api.Assertions.assertTrue(String.valueOf(e.getMessage()).contains("prompt column 'nope'"), e.getMessage());
  }
}
