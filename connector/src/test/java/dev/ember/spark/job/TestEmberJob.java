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
            "--row-options", "all",
            "--threads", "1"));
    Path log = dir.resolve("submit.log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), "spark-submit timed out");
    String text = Files.readString(log);
    assertEquals(0, p.exitValue(), text);
    assertTrue(text.contains("EMBER_JOB task=generate master=local[2] rows=22 errors=2"), text);

    List<Row> rows = spark.read().json(output.toString()).select("id", "ember.*").orderBy("id").collectAsList();
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
    assertEquals(2, spark.read().parquet(out.toString()).filter("ember.text is not null").count());

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
    Row ok = spark.read().json(scored.toString()).filter("id = 1").select("ember.*").first();
    assertTrue((double) ok.getAs("perplexity") > 1.0);
  }

  @Test
  void classifyJob() throws Exception {
    Path input = Files.writeString(dir.resolve("c.jsonl"), "{\"prompt\": \"Once upon a\"}\n");
    Path out = dir.resolve("classified");
    EmberJob.run(
        spark,
        JobArgs.parse(
            "--task", "classify", "--labels", "time,banana", "--model", storiesModel().toString(),
            "--input", input.toString(), "--output", out.toString(), "--threads", "1"));
    assertEquals("time", spark.read().json(out.toString()).select("ember.label").first().getString(0));
  }

  @Test
  void badArgumentsAreClear() {
    assertMessage("--model is required", () -> JobArgs.parse("--input", "a", "--output", "b"));
    assertMessage("--task must be one of", () -> JobArgs.parse("--task", "chat", "--model", "m", "--input", "a", "--output", "b"));
    assertMessage("unknown flag --bogus", () -> JobArgs.parse("--bogus", "1"));
    assertMessage("--max-tokens: needs an integer", () -> JobArgs.parse("--max-tokens", "many"));
    assertMessage("unknown flag --max-token; did you mean --max-tokens?", () -> JobArgs.parse("--max-token", "4"));
    assertMessage("unknown flag --path", () -> JobArgs.parse("--path", "x"));
    assertMessage("--resume needs --id-column", () -> JobArgs.parse("--model", "m", "--input", "a", "--output", "b", "--resume"));
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

  @Test
  void anExistingOutputIsOneLineThatSuggestsOverwrite() throws Exception {
    Path input = jsonlPrompts();
    Path out = Files.createDirectories(dir.resolve("exists"));
    JobArgs job = JobArgs.parse("--model", storiesModel().toString(), "--input", input.toString(), "--output", out.toString());
    assertMessage("already exists; pass --overwrite", () -> EmberJob.run(spark, job));
  }

  @Test
  void resumeRunsOnlyTheMissingIdsAndEndsWithEveryIdOnce() throws Exception {
    StringBuilder all = new StringBuilder();
    StringBuilder first = new StringBuilder();
    for (int i = 1; i <= 20; i++) {
      String line = "{\"id\": " + i + ", \"prompt\": \"Once upon a time " + i + "\"}\n";
      all.append(line);
      if (i <= 12) {
        first.append(line);
      }
    }
    Path partial = Files.writeString(dir.resolve("first.jsonl"), first);
    Path full = Files.writeString(dir.resolve("all.jsonl"), all);
    Path out = dir.resolve("resumed");
    String model = storiesModel().toString();
    // The first run stands for a job that wrote 12 of 20 rows (60 %) before it was killed.
    EmberJob.run(spark, JobArgs.parse("--model", model, "--input", partial.toString(), "--output", out.toString(), "--max-tokens", "3", "--threads", "1"));
    EmberJob.Summary s = EmberJob.run(spark, JobArgs.parse(
        "--model", model, "--input", full.toString(), "--output", out.toString(), "--max-tokens", "3", "--threads", "1",
        "--resume", "--id-column", "id"));
    assertEquals(12, s.resumedRows(), s.line());
    assertEquals(8, s.computedRows(), "only the missing rows run: " + s.line());
    assertEquals(20, s.rows());
    List<Long> ids = spark.read().json(out.toString()).select("id").collectAsList().stream().map(r -> r.getLong(0)).sorted().toList();
    assertEquals(java.util.stream.LongStream.rangeClosed(1, 20).boxed().toList(), ids, "every id exactly once");
  }

  @Test
  void aJobWhereEveryRowFailedExitsNonZero() throws Exception {
    Path input = Files.writeString(dir.resolve("bad.jsonl"), "{\"id\": 1, \"prompt\": null}\n{\"id\": 2, \"prompt\": \"\"}\n");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(Arrays.asList(System.getProperty("ember.jvm.flags").trim().split("\\s+")));
    command.addAll(List.of("-Xmx1g", "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))));
    command.addAll(List.of(
        EmberJob.class.getName(), "--master", "local[1]", "--model", storiesModel().toString(), "--input", input.toString(),
        "--output", dir.resolve("bad-out").toString(), "--threads", "1", "--progress-seconds", "0"));
    Path log = dir.resolve("bad.log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), "job timed out");
    String text = Files.readString(log);
    assertEquals(3, p.exitValue(), text);
    assertTrue(text.contains("errors=2") && text.contains("status=failed"), text);
    assertTrue(text.contains("EmberJob: failed: every row failed (2 of 2)"), text);
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' should mention " + expected);
  }
}
