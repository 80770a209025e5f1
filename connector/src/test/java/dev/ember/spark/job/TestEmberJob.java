package dev.ember.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ember.spark.SparkTestBase;

/** The spark-submit job: through real SparkSubmit in a child JVM, and in-process for the formats. */
class TestEmberJob extends SparkTestBase {
  @TempDir Path dir;

  private Path jsonlPrompts() throws Exception {
    return Files.writeString(
        dir.resolve("prompts.jsonl"),
        """
        {"id": 1, "prompt": "Once upon a time"}
        {"id": 2, "prompt": "Lily went to the park"}
        {"id": 3, "prompt": null}
        {"id": 4, "prompt": "The little dog", "max_tokens": 2}
        """);
  }

  /** The examples job's prompts: 20 stories, per-row options on two rows, a null and an empty prompt. */
  private static Path examplePrompts() {
    String repo = System.getProperty("ember.repo.dir", "..");
    return Path.of(repo, "examples", "data", "prompts.jsonl");
  }

  @Test
  void runsTheExamplesJobThroughSparkSubmit() throws Exception {
    Path input = examplePrompts();
    Path output = dir.resolve("out");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // spark-submit's launcher scripts add the JDK module flags; without the scripts we must.
    command.addAll(Arrays.asList(System.getProperty("ember.jvm.flags").trim().split("\\s+")));
    command.addAll(List.of("-Xmx1g", "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))));
    command.addAll(
        List.of(
            "org.apache.spark.deploy.SparkSubmit",
            "--master", "local[2]",
            "--conf", "spark.driver.host=127.0.0.1",
            "--conf", "spark.ui.enabled=false",
            "--class", EmberJob.class.getName(),
            "spark-internal",
            "--model", storiesModel().toString(),
            "--input", input.toString(),
            "--output", output.toString(),
            "--max-tokens", "8",
            "--threads", "1"));
    Path log = dir.resolve("submit.log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), "spark-submit timed out");
    String text = Files.readString(log);
    assertEquals(0, p.exitValue(), text);
    assertTrue(text.contains("EMBER_JOB task=generate master=local[2] rows=22 errors=2"), text);

    List<Row> rows = spark.read().json(output.toString()).orderBy("id").collectAsList();
    assertEquals(22, rows.size());
    assertEquals(
        java.util.stream.LongStream.rangeClosed(1, 22).boxed().toList(), rows.stream().map(r -> (Long) r.getAs("id")).toList());
    assertNull(rows.get(0).getAs("error"));
    assertTrue(((String) rows.get(0).getAs("text")).length() > 0);
    assertTrue((long) rows.get(2).getAs("completion_tokens") <= 4, "per-row max_tokens from the input");
    assertEquals("prompt is null", rows.get(20).getAs("error"));
    assertEquals("prompt is empty", rows.get(21).getAs("error"));
  }

  @Test
  void textInputToParquetAndCsvScoring() throws Exception {
    Path text = Files.writeString(dir.resolve("prompts.txt"), "Once upon a time\nThe little dog\n");
    Path out = dir.resolve("gen.parquet");
    EmberJob.Summary summary =
        EmberJob.run(
            spark,
            JobArgs.parse(
                "--model", storiesModel().toString(), "--input", text.toString(), "--output", out.toString(),
                "--output-format", "parquet", "--max-tokens", "4", "--threads", "1", "--partitions", "2"));
    assertEquals(2, summary.rows());
    assertEquals(0, summary.errors());
    assertTrue(summary.completionTokens() > 0 && summary.completionTokens() <= 8, summary.line());
    assertEquals(2, spark.read().parquet(out.toString()).filter("text is not null").count());

    Path csv = Files.writeString(dir.resolve("texts.csv"), "id,sentence\n1,Once upon a time there was a cat.\n2,\n");
    Path scored = dir.resolve("scored");
    EmberJob.Summary s =
        EmberJob.run(
            spark,
            JobArgs.parse(
                "--task", "score", "--model", storiesModel().toString(), "--input", csv.toString(),
                "--prompt-column", "sentence", "--output", scored.toString(), "--threads", "1"));
    assertEquals(2, s.rows());
    assertEquals(1, s.errors(), "the empty CSV field is a null prompt");
    Row ok = spark.read().json(scored.toString()).filter("id = 1").first();
    assertTrue((double) ok.getAs("perplexity") > 1.0);
  }

  @Test
  void classifyJob() throws Exception {
    Path input = Files.writeString(dir.resolve("c.jsonl"), "{\"prompt\": \"Once upon a\"}\n");
    Path out = dir.resolve("classified");
    EmberJob.run(
        spark,
        JobArgs.parse(
            "--task", "classify", "--labels", " time, banana", "--model", storiesModel().toString(),
            "--input", input.toString(), "--output", out.toString(), "--threads", "1"));
    assertEquals(" time", spark.read().json(out.toString()).first().getAs("label"));
  }

  @Test
  void badArgumentsAreClear() {
    assertMessage("--model is required", () -> JobArgs.parse("--input", "a", "--output", "b"));
    assertMessage("--task must be one of", () -> JobArgs.parse("--task", "chat", "--model", "m", "--input", "a", "--output", "b"));
    assertMessage("unknown flag --bogus", () -> JobArgs.parse("--bogus", "1"));
    assertMessage("--max-tokens needs an integer", () -> JobArgs.parse("--max-tokens", "many"));
    assertMessage("max_tokens must be >= 0", () -> JobArgs.parse("--model", "m", "--input", "a", "--output", "b", "--max-tokens", "-3"));
    assertMessage("needs --labels", () -> JobArgs.parse("--task", "classify", "--model", "m", "--input", "a", "--output", "b"));
    assertEquals("csv", JobArgs.parse("--model", "m", "--input", "x.csv", "--output", "b").inputFormat());
  }

  @Test
  void badModelFailsBeforeAnyTask() throws Exception {
    Path input = jsonlPrompts();
    JobArgs job = JobArgs.parse("--model", dir.resolve("missing.gguf").toString(), "--input", input.toString(), "--output", dir.resolve("o").toString());
    assertMessage("model not found", () -> EmberJob.run(spark, job));
    assertTrue(Files.notExists(dir.resolve("o")));
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' should mention " + expected);
  }
}
