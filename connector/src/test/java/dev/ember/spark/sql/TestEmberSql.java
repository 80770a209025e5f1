package dev.ember.spark.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.SamplingParams;
import dev.ember.spark.SparkTestBase;
import dev.ember.spark.executor.ExecutorEngines;

/** ember_generate / ember_score / ember_tokens through spark.sql.extensions, on local[2]. */
class TestEmberSql {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.extensions", EmberSqlExtensions.class.getName())
            .config("spark.ember.model", SparkTestBase.storiesModel().toString())
            .config("spark.ember.maxTokens", "8")
            .config("spark.ember.threads", "1")
            .getOrCreate();
    spark.sql(
            "SELECT * FROM VALUES (1, 'Once upon a time'), (2, 'The little dog'), (3, CAST(NULL AS STRING)) AS t(id, prompt)")
        .createOrReplaceTempView("prompts");
  }

  @AfterAll
  static void stop() {
    spark.stop();
    ExecutorEngines.closeAll();
  }

  @Test
  void generateReturnsTheResultStruct() {
    List<Row> rows =
        spark.sql("SELECT id, ember_generate(prompt) AS r FROM prompts ORDER BY id").collectAsList();
    try (Engine engine = Engine.open(SparkTestBase.storiesModel(), EngineOptions.defaults().withThreads(1))) {
      String expected = engine.submit(Request.ofText("x", "Once upon a time", SamplingParams.greedy(8))).join().text();
      Row r1 = rows.get(0).getStruct(1);
      assertEquals(expected, r1.getAs("text"));
      assertNull(r1.getAs("error"));
    }
    assertEquals("prompt is null", rows.get(2).getStruct(1).getAs("error"));
  }

  @Test
  void perCallOptionsAndBadOptions() {
    Row r =
        spark.sql(
                "SELECT ember_generate(prompt, map('max_tokens', '2')).completion_tokens AS n,"
                    // A map computed per row is read per row: a bad value is that row's error.
                    + " ember_generate(prompt, map('temperature', concat('-', cast(id AS STRING)))).error AS bad"
                    + " FROM prompts WHERE id = 1")
            .first();
    assertTrue(r.getInt(0) <= 2);
    assertTrue(r.getString(1).contains("temperature"), r.getString(1));
    // A literal map is checked when the query is analysed, on the driver.
    Exception unknown = assertThrows(Exception.class, () -> spark.sql("SELECT ember_generate(prompt, map('colour', 'red')) FROM prompts").collect());
    assertTrue(unknown.getMessage().contains("unknown option 'colour'; did you mean"), unknown.getMessage());
    Exception camel = assertThrows(Exception.class, () -> spark.sql("SELECT ember_generate(prompt, map('maxTokens', '2')) FROM prompts").collect());
    assertTrue(camel.getMessage().contains("did you mean 'max_tokens'"), "SQL keys are snake_case: " + camel.getMessage());
  }

  @Test
  void theModelIsAnArgumentSoOneQueryComparesTwoModels() {
    String stories = SparkTestBase.storiesModel().toString();
    String v4 = java.nio.file.Path.of(System.getProperty("ember.repo.dir", ".."), "examples", "models", "ember-v4-story.gguf")
        .toAbsolutePath().normalize().toString();
    Row r =
        spark.sql(
                "SELECT ember_generate('" + stories + "', prompt, map('max_tokens', '4')).text AS a,"
                    + " ember_generate('" + v4 + "', prompt, map('max_tokens', '4')).text AS b,"
                    + " ember_score('" + v4 + "', prompt).tokens AS n FROM prompts WHERE id = 1")
            .first();
    try (Engine a = Engine.open(SparkTestBase.storiesModel(), EngineOptions.defaults().withThreads(1));
        Engine b = Engine.open(java.nio.file.Path.of(v4), EngineOptions.defaults().withThreads(1))) {
      assertEquals(a.submit(Request.ofText("x", "Once upon a time", SamplingParams.greedy(4))).join().text(), r.getString(0));
      assertEquals(b.submit(Request.ofText("x", "Once upon a time", SamplingParams.greedy(4))).join().text(), r.getString(1));
      assertEquals(b.score("Once upon a time").tokens(), r.getInt(2));
    }
    Exception notLiteral = assertThrows(Exception.class, () -> spark.sql("SELECT ember_generate(prompt, prompt) FROM prompts").collect());
    assertTrue(notLiteral.getMessage().contains("model must be a string literal"), notLiteral.getMessage());
  }

  @Test
  void classifyTakesPlainLabelsAndEqualsTheDataFrameCall() {
    String stories = SparkTestBase.storiesModel().toString();
    List<Row> rows = spark.sql("SELECT id, ember_classify(prompt, array('time', 'banana')) AS c,"
            + " ember_classify('" + stories + "', prompt, array('time', 'banana')).label AS l FROM prompts ORDER BY id")
        .collectAsList();
    try (Engine engine = Engine.open(SparkTestBase.storiesModel(), EngineOptions.defaults().withThreads(1))) {
      for (Row r : rows.subList(0, 2)) {
        String prompt = r.getInt(0) == 1 ? "Once upon a time" : "The little dog";
        Row c = r.getStruct(1);
        assertNull(c.getAs("error"));
        // Plain labels: scored as the space-separated continuations, as Ember.classify does.
        var scores = engine.scoreChoices(prompt, List.of(" time", " banana"));
        java.util.Map<String, Double> got = scala.jdk.javaapi.CollectionConverters.asJava(c.<scala.collection.Map<String, Double>>getAs("label_logprobs"));
        assertEquals(scores.get(0).logprob(), got.get("time"), 1e-6);
        assertEquals(scores.get(1).logprob(), got.get("banana"), 1e-6);
        String best = scores.get(0).logprob() >= scores.get(1).logprob() ? "time" : "banana";
        assertEquals(best, c.getAs("label"));
        assertEquals(best, r.getString(2));
      }
    }
    assertEquals("prompt is null", rows.get(2).getStruct(1).getAs("error"));
    Exception notLiteral = assertThrows(Exception.class, () -> spark.sql("SELECT ember_classify(prompt, array(prompt)) FROM prompts").collect());
    assertTrue(notLiteral.getMessage().contains("labels must be a literal array of strings"), notLiteral.getMessage());
    Exception duplicate = assertThrows(Exception.class, () -> spark.sql("SELECT ember_classify(prompt, array('a', 'a')) FROM prompts").collect());
    assertTrue(duplicate.getMessage().contains("duplicate label 'a'"), duplicate.getMessage());
  }

  @Test
  void scoreAndTokens() {
    Row r =
        spark.sql("SELECT ember_score(prompt).perplexity AS ppl, ember_score(prompt).tokens AS n, ember_tokens(prompt) AS t"
                + " FROM prompts WHERE id = 1")
            .first();
    assertTrue(r.getDouble(0) > 1);
    try (Engine engine = Engine.open(SparkTestBase.storiesModel(), EngineOptions.defaults().withThreads(1))) {
      assertEquals(engine.tokenize("Once upon a time").length, r.getInt(2));
    }
    assertTrue(r.getInt(1) > 0);
    assertNull(spark.sql("SELECT ember_tokens(prompt) FROM prompts WHERE id = 3").first().get(0));
  }

  @Test
  void aProjectionOfCallsRunsAsOneBatchPerPartition() {
    // Over a real scan (a VALUES list would be folded into a local relation on the driver).
    spark.table("prompts").repartition(2).createOrReplaceTempView("spread_prompts");
    var df = spark.sql("SELECT id, upper(prompt) AS shout, ember_generate(prompt) AS r, ember_generate(prompt).text AS t FROM spread_prompts");
    String plan = df.queryExecution().optimizedPlan().toString();
    assertTrue(plan.contains("MapPartitions"), "the calls run through Ember's partition pipeline:\n" + plan);
    assertTrue(!plan.contains("ember_generate"), "no row-at-a-time call is left:\n" + plan);
    List<Row> rows = df.orderBy("id").collectAsList();
    try (Engine engine = Engine.open(SparkTestBase.storiesModel(), EngineOptions.defaults().withThreads(1))) {
      String expected = engine.submit(Request.ofText("x", "Once upon a time", SamplingParams.greedy(8))).join().text();
      assertEquals(expected, rows.get(0).getStruct(2).getAs("text"));
      assertEquals(expected, rows.get(0).getString(3));
    }
    assertEquals("ONCE UPON A TIME", rows.get(0).getString(1));
    assertEquals(List.of("id", "shout", "r", "t"), List.of(df.columns()));
    assertEquals("prompt is null", rows.get(2).getStruct(2).getAs("error"));
    // A map computed per row stays row-at-a-time.
    String perRow = spark.sql("SELECT ember_generate(prompt, map('max_tokens', cast(id AS STRING))) FROM spread_prompts")
        .queryExecution().optimizedPlan().toString();
    assertTrue(!perRow.contains("MapPartitions"), perRow);
  }

  @Test
  void wrongArityIsAnAnalysisError() {
    Exception e = assertThrows(Exception.class, () -> spark.sql("SELECT ember_score(prompt, prompt) FROM prompts").collect());
    assertTrue(String.valueOf(e.getMessage()).contains("ember_score"), e.getMessage());
  }

  @Test
  void jsonSchemaInTheOptionMapConstrainsTheText() {
    // Issue 14: ember_generate(prompt, map('json_schema', ...)); the engine alone gives the same text.
    String schema = "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":9}},"
        + "\"required\":[\"n\"],\"additionalProperties\":false}";
    List<Row> rows = spark.sql("SELECT id, ember_generate(prompt, map('json_schema', '" + schema + "', 'max_tokens', '16')) AS r"
        + " FROM prompts WHERE prompt IS NOT NULL ORDER BY id").collectAsList();
    try (Engine engine = Engine.open(SparkTestBase.storiesModel(), EngineOptions.defaults().withThreads(1))) {
      String expected = engine.submit(Request.ofText("x", "Once upon a time", SamplingParams.builder().maxTokens(16)
          .constraint(new dev.ember.engine.api.Constraint.JsonSchema(schema)).build())).join().text();
      assertEquals(expected, rows.get(0).getStruct(1).getAs("text"));
    }
    for (Row row : rows) {
      Row r = row.getStruct(1);
      assertNull(r.getAs("error"), r.toString());
      assertTrue(((String) r.getAs("text")).matches("\\{\"n\":[0-9]\\}"), r.toString());
    }
    Exception bad = assertThrows(Exception.class,
        () -> spark.sql("SELECT ember_generate(prompt, map('regex', '(unclosed')) FROM prompts").collect());
    assertTrue(String.valueOf(bad.getMessage()).contains("regex") || String.valueOf(bad.getMessage()).contains("unclosed"), bad.getMessage());
  }
}
