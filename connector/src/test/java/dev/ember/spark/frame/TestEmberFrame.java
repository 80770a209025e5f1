package dev.ember.spark.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.api.ScoreResult;
import dev.ember.spark.SparkTestBase;

/** The DataFrame API on local[2] and the real engine with stories260K. */
class TestEmberFrame extends SparkTestBase {
  private static final List<String> PROMPTS =
      List.of("Once upon a time", "Lily went to the park", "The little dog", "One day, Tom", "She was happy");

  private static EmberOptions options() {
    return EmberOptions.model(storiesModel().toString()).withMaxTokens(12).withThreads(1);
  }

  private static Dataset<Row> prompts() {
    StructType schema = new StructType().add("id", DataTypes.LongType, false).add("prompt", DataTypes.StringType, true);
    Row[] rows = new Row[PROMPTS.size()];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = RowFactory.create((long) i, PROMPTS.get(i));
    }
    return spark.createDataFrame(Arrays.asList(rows), schema).repartition(2);
  }

  @Test
  void generateKeepsInputColumnsAndMatchesTheEngineAlone() {
    Dataset<Row> out = Ember.generate(prompts(), options());
    assertEquals(List.of("id", "prompt", "ember"), List.of(out.columns()));
    assertEquals(
        List.of("text", "finish_reason", "prompt_tokens", "cached_prompt_tokens", "completion_tokens", "logprobs", "latency_ms", "error"),
        List.of(((StructType) out.schema().apply("ember").dataType()).fieldNames()));
    List<Row> rows = out.select("id", "prompt", "ember.*").orderBy("id").collectAsList();
    assertEquals(PROMPTS.size(), rows.size());

    try (Engine engine = Engine.open(storiesModel(), EngineOptions.defaults().withThreads(1))) {
      for (Row row : rows) {
        assertNull(row.getAs("error"), () -> "row failed: " + row);
        Result expected =
            engine.submit(Request.ofText("x", row.getAs("prompt"), SamplingParams.greedy(12))).join();
        assertEquals(expected.text(), row.getAs("text"), "greedy text must equal the engine's own");
        assertEquals(expected.finishReason().wireName(), row.getAs("finish_reason"));
        assertEquals(expected.promptTokens(), (int) row.getAs("prompt_tokens"));
        assertEquals(expected.completionTokens(), (int) row.getAs("completion_tokens"));
        assertTrue((double) row.getAs("latency_ms") > 0);
      }
    }
  }

  @Test
  void perRowOptionsAndBadRows() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add("prompt", DataTypes.StringType)
            .add("max_tokens", DataTypes.IntegerType)
            .add("temperature", DataTypes.DoubleType)
            .add("seed", DataTypes.LongType)
            .add("stop", DataTypes.createArrayType(DataTypes.StringType));
    List<Row> input =
        List.of(
            RowFactory.create(0, "Once upon a time", 3, null, null, null),
            RowFactory.create(1, null, null, null, null, null),
            RowFactory.create(2, "", null, null, null, null),
            RowFactory.create(3, "Once upon a time", -1, null, null, null),
            RowFactory.create(4, "Once upon a time", null, -0.5, null, null),
            RowFactory.create(5, "Once upon a time", 20, 0.8, 42L, null),
            RowFactory.create(6, "Once upon a time", 20, 0.8, 42L, null),
            RowFactory.create(7, "Once upon a time", 40, null, null, scala.jdk.javaapi.CollectionConverters.asScala(List.of(".")).toSeq()));
    List<Row> rows =
        Ember.generate(spark.createDataFrame(input, schema), options().withRowOptions(RowOptionColumns.all()))
            .select("id", "ember.*").orderBy("id").collectAsList();

    assertNull(rows.get(0).getAs("error"));
    assertTrue((int) rows.get(0).getAs("completion_tokens") <= 3);
    assertEquals("prompt is null", rows.get(1).getAs("error"));
    assertEquals("error", rows.get(1).getAs("finish_reason"));
    assertNull(rows.get(1).getAs("text"));
    assertEquals("prompt is empty", rows.get(2).getAs("error"));
    assertTrue(((String) rows.get(3).getAs("error")).contains("max_tokens"), rows.get(3).toString());
    assertTrue(((String) rows.get(4).getAs("error")).contains("temperature"), rows.get(4).toString());
    // Same seed and options: the same sample, whatever else runs beside it.
    assertNull(rows.get(5).getAs("error"));
    assertEquals((String) rows.get(5).getAs("text"), rows.get(6).getAs("text"));
    String stopped = rows.get(7).getAs("text");
    assertTrue(!stopped.contains("."), "text is cut before the stop string: " + stopped);
  }

  @Test
  void aPromptLongerThanTheContextIsAnErrorRow() {
    StructType schema = new StructType().add("prompt", DataTypes.StringType);
    String longPrompt = "Once upon a time there was a little girl named Lily who loved to play in the park with her dog. ".repeat(4);
    List<Row> rows =
        Ember.generate(
                spark.createDataFrame(List.of(RowFactory.create(longPrompt), RowFactory.create("Once upon a time")), schema),
                options().withContextLength(32).withMaxTokens(4))
            .select("prompt", "ember.*").collectAsList();
    Row tooLong = rows.stream().filter(r -> r.getString(0).length() > 100).findFirst().orElseThrow();
    assertNotNull(tooLong.getAs("error"), "a prompt past the context must fail its row: " + tooLong);
    assertEquals("error", tooLong.getAs("finish_reason"));
    Row ok = rows.stream().filter(r -> r.getString(0).length() < 100).findFirst().orElseThrow();
    assertNull(ok.getAs("error"), "the other row still runs");
  }

  @Test
  void scoreMatchesTheEngine() {
    StructType schema = new StructType().add("text_in", DataTypes.StringType);
    Dataset<Row> df = spark.createDataFrame(List.of(RowFactory.create("Once upon a time there was a cat."), RowFactory.create((Object) null)), schema);
    List<Row> rows = Ember.score(df, options().withPromptColumn("text_in")).select("text_in", "ember.*").collectAsList();
    try (Engine engine = Engine.open(storiesModel(), EngineOptions.defaults().withThreads(1))) {
      ScoreResult expected = engine.score("Once upon a time there was a cat.");
      Row ok = rows.stream().filter(r -> r.getAs("text_in") != null).findFirst().orElseThrow();
      assertNull(ok.getAs("error"));
      assertEquals(expected.logprob(), (double) ok.getAs("logprob"), 1e-6);
      assertEquals(expected.perplexity(), (double) ok.getAs("perplexity"), 1e-6);
      assertEquals(expected.tokens(), (int) ok.getAs("tokens"));
    }
    Row bad = rows.stream().filter(r -> r.getAs("text_in") == null).findFirst().orElseThrow();
    assertEquals("prompt is null", bad.getAs("error"));
    assertNull(bad.getAs("logprob"));
  }

  @Test
  void classifyPicksTheMostLikelyContinuation() {
    StructType schema = new StructType().add("prompt", DataTypes.StringType);
    Dataset<Row> df = spark.createDataFrame(List.of(RowFactory.create("Once upon a"), RowFactory.create("")), schema);
    // Plain labels: Ember separates them from the prompt, as " time" would be written by hand.
    List<Row> rows = Ember.classify(df, new String[] {"time", "banana"}, options()).select("prompt", "ember.*").collectAsList();
    Row ok = rows.stream().filter(r -> !((String) r.getAs("prompt")).isEmpty()).findFirst().orElseThrow();
    assertNull(ok.getAs("error"));
    assertEquals("time", ok.getAs("label"));
    Map<String, Double> scores = scala.jdk.javaapi.CollectionConverters.asJava(ok.<scala.collection.Map<String, Double>>getAs("label_logprobs"));
    assertTrue(scores.get("time") > scores.get("banana"), scores.toString());
    try (Engine engine = Engine.open(storiesModel(), EngineOptions.defaults().withThreads(1))) {
      List<ScoreResult> spaced = engine.scoreChoices("Once upon a", List.of(" time", " banana"));
      assertEquals(spaced.get(0).logprob(), scores.get("time"), 1e-6, "a plain label scores as its space-separated form");
    }
    Row bad = rows.stream().filter(r -> ((String) r.getAs("prompt")).isEmpty()).findFirst().orElseThrow();
    assertEquals("prompt is empty", bad.getAs("error"));
  }

  @Test
  void badModelPathFailsOnTheDriver() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Ember.generate(prompts(), EmberOptions.model("/no/such/model.gguf")));
    assertTrue(e.getMessage().contains("model not found: /no/such/model.gguf"), e.getMessage());
  }

  @Test
  void aFileThatIsNotGgufFailsOnTheDriver(@TempDir Path dir) throws Exception {
    Path junk = Files.writeString(dir.resolve("model.gguf"), "hello");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Ember.generate(prompts(), EmberOptions.model(junk.toString())));
    assertTrue(e.getMessage().contains("not a GGUF file"), e.getMessage());
  }

  @Test
  void badOptionsAndColumnsFailOnTheDriver() {
    assertMessage("max_tokens", () -> Ember.generate(prompts(), options().withMaxTokens(-1)));
    assertMessage("top_p", () -> Ember.generate(prompts(), options().withTopP(0f)));
    assertMessage("max sequences", () -> Ember.generate(prompts(), options().withMaxSequences(0)));
    assertMessage("prompt column 'question' is not in the input", () -> Ember.generate(prompts(), options().withPromptColumn("question")));
    assertMessage("must be a string", () -> Ember.generate(prompts(), options().withPromptColumn("id")));
    assertMessage("clashes", () -> Ember.generate(prompts().withColumnRenamed("id", "ember"), options()));
    assertMessage("clashes", () -> Ember.generate(prompts().withColumnRenamed("id", "text"), options().withFlattenPrefix("")));
    assertMessage("'seed' must be an integer",
        () -> Ember.generate(prompts().withColumn("seed", org.apache.spark.sql.functions.lit("x")), options().withRowOptions(RowOptionColumns.all())));
    assertMessage("max_tokens column 'mt' is not in the input",
        () -> Ember.generate(prompts(), options().withRowOptions(new RowOptionColumns("mt", null, null, null))));
    assertMessage("duplicate label", () -> Ember.classify(prompts(), List.of(" a", " a"), options()));
    assertMessage("at least one label", () -> Ember.classify(prompts(), List.of(), options()));
  }

  @Test
  void realDatasetColumnsNeitherClashNorTurnIntoOptions() {
    StructType schema =
        new StructType()
            .add("prompt", DataTypes.StringType)
            .add("text", DataTypes.StringType)
            .add("label", DataTypes.StringType)
            .add("error", DataTypes.StringType)
            .add("temperature", DataTypes.DoubleType)
            .add("stop", DataTypes.StringType);
    Dataset<Row> weather =
        spark.createDataFrame(List.of(RowFactory.create("Once upon a time", "t", "l", "e", 23.5, " ")), schema);
    Row row = Ember.generate(weather, options()).first();
    assertEquals(List.of("prompt", "text", "label", "error", "temperature", "stop", "ember"), List.of(row.schema().fieldNames()));
    Row ember = row.getAs("ember");
    try (Engine engine = Engine.open(storiesModel(), EngineOptions.defaults().withThreads(1))) {
      String greedy = engine.submit(Request.ofText("x", "Once upon a time", SamplingParams.greedy(12))).join().text();
      assertEquals(greedy, ember.getAs("text"), "a temperature or stop column is data unless rowOptions asks for it");
    }
    assertEquals("t", row.getAs("text"));

    Row flat = Ember.generate(weather, options().withFlattenPrefix("ember_")).first();
    assertEquals(ember.getAs("text"), (String) flat.getAs("ember_text"));
    assertNull(flat.getAs("ember_error"));
  }

  @Test
  void unknownOptionNamesFailAndNameTheClosest() {
    assertMessage("unknown option 'maxToken'; did you mean 'maxTokens'?", () -> options().with("maxToken", "4"));
    assertMessage("did you mean 'temperature'", () -> options().with("temprature", "0.5"));
    assertEquals(4, options().with("MAXTOKENS", "4").sampling().maxTokens(), "API names are case-insensitive like reader options");
    assertMessage("rowOptions: unknown option column 'temp'", () -> options().with("rowOptions", "temp"));
  }

  @Test
  void logprobsOptionMatchesTheEngine() {
    Row row = Ember.generate(prompts().limit(1), options().withMaxTokens(4).withLogprobs(2)).select("prompt", "ember.*").first();
    List<Row> logprobs = row.getList(row.fieldIndex("logprobs"));
    assertEquals((int) row.getAs("completion_tokens"), logprobs.size());
    try (Engine engine = Engine.open(storiesModel(), EngineOptions.defaults().withThreads(1))) {
      Result expected =
          engine.submit(Request.ofText("x", row.getAs("prompt"), SamplingParams.builder().maxTokens(4).logprobs(2).build())).join();
      for (int i = 0; i < logprobs.size(); i++) {
        assertEquals(expected.logprobs().get(i).token(), logprobs.get(i).getAs("token"));
        assertEquals(expected.logprobs().get(i).logprob(), (double) logprobs.get(i).getAs("logprob"), 1e-6);
        assertEquals(2, logprobs.get(i).getList(2).size());
      }
    }
    assertNull(Ember.generate(prompts().limit(1), options().withMaxTokens(2)).select("ember.logprobs").first().get(0));
  }

  @Test
  void failOnErrorNamesTheRowAndCheckErrorsCounts() {
    StructType schema = new StructType().add("id", DataTypes.IntegerType).add("prompt", DataTypes.StringType);
    Dataset<Row> df = spark.createDataFrame(List.of(RowFactory.create(1, "Once upon a time"), RowFactory.create(7, null)), schema);
    Exception e = assertThrows(Exception.class,
        () -> Ember.generate(df, options().withFailOnError(true).withIdColumn("id").withMaxTokens(2)).collectAsList());
    assertTrue(e.getMessage().contains("Ember: row with id 7 failed: prompt is null (failOnError is set)"), e.getMessage());

    Dataset<Row> out = Ember.generate(df, options().withMaxTokens(2)).cache();
    assertEquals(1, Ember.checkErrors(out, options()));
    IllegalStateException tooMany = assertThrows(IllegalStateException.class, () -> Ember.checkErrors(out, options().withMaxErrorFraction(0.25)));
    assertTrue(tooMany.getMessage().contains("1 of 2 rows failed"), tooMany.getMessage());
    Dataset<Row> allBad = Ember.generate(df.filter("id = 7"), options());
    assertTrue(assertThrows(IllegalStateException.class, () -> Ember.checkErrors(allBad, options())).getMessage().contains("every row failed"));
  }

  @Test
  void aOnePartitionInputIsSpreadAndCounted() {
    Dataset<Row> one = prompts().coalesce(1);
    EmberAccumulators metrics = EmberAccumulators.register(spark.sparkContext(), "generate");
    Dataset<Row> out = Ember.run(one, Task.generate(), options().withMaxTokens(3), metrics);
    assertEquals(2, out.rdd().getNumPartitions(), "one input partition is split over local[2]'s cores");
    List<Row> rows = out.select("prompt", "ember.*").collectAsList();
    assertEquals(PROMPTS.size(), rows.size());
    assertEquals(PROMPTS.stream().sorted().toList(), rows.stream().map(r -> (String) r.getAs("prompt")).sorted().toList());
    assertEquals(PROMPTS.size(), metrics.rows());
    assertEquals(0, metrics.errors());
    assertEquals(rows.stream().mapToLong(r -> (int) r.getAs("completion_tokens")).sum(), metrics.completionTokens());
    assertEquals(rows.stream().mapToLong(r -> (int) r.getAs("prompt_tokens")).sum(), metrics.promptTokens());
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertNotNull(e.getMessage());
    assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' should mention " + expected);
  }
}
