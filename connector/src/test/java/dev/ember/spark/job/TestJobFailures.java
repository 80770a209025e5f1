package dev.ember.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
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
import dev.ember.spark.frame.MalformedLines;

/**
 * What the spark-submit job does with bad input, a bad model, bad paths and a bad cache directory
 * (issue 16 items 2, 4, 6, 7, 10, 11, 12): one line and a non-zero exit for what the user must
 * fix, an error row (and the job goes on) for what one row got wrong, and rows in = rows out.
 */
class TestJobFailures extends SparkTestBase {
  @TempDir Path dir;

  private Path prompts() throws Exception {
    return Files.writeString(dir.resolve("p.jsonl"), "{\"id\": 1, \"prompt\": \"Once upon a time\"}\n");
  }

  private JobArgs args(String... extra) throws Exception {
    List<String> a = new ArrayList<>(List.of("--model", storiesModel().toString(), "--threads", "1", "--progress-seconds", "0"));
    a.addAll(List.of(extra));
    if (!a.contains("--input")) {
      a.addAll(List.of("--input", prompts().toString()));
    }
    if (!a.contains("--output")) {
      a.addAll(List.of("--output", dir.resolve("out").toString()));
    }
    return JobArgs.parse(a.toArray(new String[0]));
  }

  private static void assertOneLine(String expected, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' should mention " + expected);
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
  }

  /** A copy of the test model with its general.architecture value changed to another 5-letter name. */
  private Path modelWithArchitecture(String arch) throws Exception {
    byte[] bytes = Files.readAllBytes(storiesModel());
    byte[] key = "general.architecture".getBytes(StandardCharsets.US_ASCII);
    int at = indexOf(bytes, key, 0);
    int value = indexOf(bytes, "llama".getBytes(StandardCharsets.US_ASCII), at + key.length);
    System.arraycopy(arch.getBytes(StandardCharsets.US_ASCII), 0, bytes, value, 5);
    return Files.write(dir.resolve(arch + ".gguf"), bytes);
  }

  private static int indexOf(byte[] hay, byte[] needle, int from) {
    outer:
    for (int i = from; i <= hay.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalStateException("not found");
  }

  @Test
  void badModelsAreOneLineOnTheDriverBeforeAnyTask() throws Exception {
    byte[] model = Files.readAllBytes(storiesModel());
    Path truncated = Files.write(dir.resolve("truncated.gguf"), Arrays.copyOf(model, model.length / 2));
    assertOneLine("cannot be opened", () -> EmberJob.run(spark, args("--model", truncated.toString())));

    Path bogus = modelWithArchitecture("bogus");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EmberJob.run(spark, args("--model", bogus.toString())));
    assertTrue(e.getMessage().contains("bogus"), e.getMessage());

    Path hf = Files.createDirectories(dir.resolve("hf"));
    Files.writeString(hf.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\"}");
    assertOneLine("cannot be opened", () -> EmberJob.run(spark, args("--model", hf.toString())));

    String wrong = "0".repeat(64);
    assertOneLine("not the expected " + wrong, () -> EmberJob.run(spark, args("--model-sha256", wrong)));
    assertTrue(Files.notExists(dir.resolve("out")), "nothing ran, nothing was written");
  }

  @Test
  void theParseSpecialFlagReachesTheOptions() throws Exception {
    assertFalse(args().options().parseSpecial());
    assertTrue(args("--parse-special").options().parseSpecial());
  }

  @Test
  void badPathsAreOneLine() throws Exception {
    assertOneLine("input not found: " + dir.resolve("nope.jsonl"), () -> EmberJob.run(spark, args("--input", dir.resolve("nope.jsonl").toString())));
    assertOneLine("is not a Parquet file (no PAR1 magic); check --input-format", () -> EmberJob.run(spark, args("--input-format", "parquet")));
    Path parquet = dir.resolve("in.parquet");
    spark.range(2).selectExpr("'Once' AS prompt").write().parquet(parquet.toString());
    assertOneLine("is a Parquet file, not json; pass --input-format parquet",
        () -> EmberJob.run(spark, args("--input", parquet.toString(), "--input-format", "json")));

    // Item 10: an input inside the output directory would be deleted by --overwrite.
    Path out = Files.createDirectories(dir.resolve("results"));
    Path nested = Files.writeString(out.resolve("p.jsonl"), "{\"prompt\": \"Once\"}\n");
    assertOneLine("is inside the output directory", () -> EmberJob.run(spark, args("--input", nested.toString(), "--output", out.toString(), "--overwrite")));
    assertTrue(Files.exists(nested));

    // Item 12: a cache directory that is a file.
    Path file = Files.writeString(dir.resolve("cache-file"), "x");
    spark.conf().set("spark.ember.model.cacheDir", file.toString());
    try {
      assertOneLine("spark.ember.model.cacheDir " + file + " is a file", () -> EmberJob.run(spark, args()));
    } finally {
      spark.conf().unset("spark.ember.model.cacheDir");
    }
  }

  /** The job's JVM, as spark-submit would start it; returns exit code and output. */
  private Object[] runJob(String... jobArgs) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(Arrays.asList(System.getProperty("ember.jvm.flags").trim().split("\\s+")));
    command.addAll(List.of("-Xmx1g", "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))));
    command.add(EmberJob.class.getName());
    command.addAll(List.of("--master", "local[1]", "--threads", "1", "--progress-seconds", "0"));
    command.addAll(List.of(jobArgs));
    Path log = Files.createTempFile(dir, "job", ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), "job timed out");
    return new Object[] {p.exitValue(), Files.readString(log)};
  }

  @Test
  void userErrorsExitWithOneLineBeforeSparkStarts() throws Exception {
    Path input = prompts();
    Path out = Files.createDirectories(dir.resolve("exists"));
    Object[] r = runJob("--model", storiesModel().toString(), "--input", input.toString(), "--output", out.toString());
    String text = (String) r[1];
    assertEquals(2, r[0], text);
    assertTrue(text.contains("EmberJob: output " + out + " already exists; pass --overwrite"), text);
    assertFalse(text.contains("\tat "), "no stack trace: " + text);
    assertFalse(text.contains("SparkContext"), "fails before Spark starts: " + text);

    byte[] model = Files.readAllBytes(storiesModel());
    Path truncated = Files.write(dir.resolve("t.gguf"), Arrays.copyOf(model, 4096));
    r = runJob("--model", truncated.toString(), "--input", input.toString(), "--output", dir.resolve("o2").toString());
    text = (String) r[1];
    assertEquals(2, r[0], text);
    assertTrue(text.contains("EmberJob: model " + truncated + " cannot be opened"), text);
    assertFalse(text.contains("\tat "), "no stack trace: " + text);
    assertEquals(1, text.lines().filter(l -> l.startsWith("EmberJob:")).count(), text);
  }

  @Test
  void aFailedJobLeavesNoEmptyOutputDirectory() throws Exception {
    Path input = Files.writeString(dir.resolve("nulls.jsonl"), "{\"id\": 1, \"prompt\": null}\n{\"id\": 2, \"prompt\": null}\n");
    Path out = dir.resolve("failed");
    Exception e = assertThrows(Exception.class, () -> EmberJob.run(spark, args("--input", input.toString(), "--output", out.toString(), "--fail-on-error")));
    assertTrue(EmberJob.rowFailure(e).contains("prompt is null"), e.toString());
    assertTrue(Files.notExists(out), "the failed job's empty output is removed, so the rerun is not blocked");
  }

  @Test
  void csvIsReadAsRfc4180AndRowsInEqualRowsOut() throws Exception {
    // Seven rows, with quoted newlines and doubled quotes: read without multiLine they came out as ten.
    StringBuilder csv = new StringBuilder("id,prompt\n");
    for (int i = 1; i <= 7; i++) {
      csv.append(i).append(",\"Once upon a time\nthere was a \"\"cat\"\" number ").append(i).append("\"\n");
    }
    Path input = Files.writeString(dir.resolve("quoted.csv"), csv);
    Path out = dir.resolve("csv-out");
    EmberJob.Summary s = EmberJob.run(spark, args("--task", "score", "--input", input.toString(), "--output", out.toString()));
    assertEquals(7, s.inputRows(), s.line());
    assertEquals(7, s.rows(), s.line());
    assertEquals(0, s.errors(), s.line());
    assertNull(s.failure(), s.line());
    assertTrue(s.line().contains(" rows=7 errors=0 input_rows=7 "), s.line());
    List<Row> rows = spark.read().json(out.toString()).orderBy("id").collectAsList();
    assertEquals("Once upon a time\nthere was a \"cat\" number 3", rows.get(2).getAs("prompt"));
  }

  @Test
  void malformedJsonLinesAreErrorRowsWithTheRawLineKept() throws Exception {
    String dup = "{\"id\": 3, \"prompt\": \"a\", \"prompt\": \"b\"}";
    String nested = "{\"id\": 4, \"prompt\": {\"nested\": 1}}";
    String broken = "{\"id\": 5, \"prompt\": \"Once upon";
    Path input = Files.writeString(dir.resolve("bad.jsonl"), String.join("\n",
        "{\"id\": 1, \"prompt\": \"Once upon a time\"}",
        "{\"id\": 2, \"prompt\": \"The little dog\"}",
        dup, nested, broken, "", "{\"id\": 6, \"prompt\": \"Lily went\"}") + "\n");
    Path out = dir.resolve("json-out");
    EmberJob.Summary s = EmberJob.run(spark, args("--input", input.toString(), "--output", out.toString(), "--max-tokens", "2"));
    assertEquals(6, s.rows(), "one row per non-blank line: " + s.line());
    assertEquals(6, s.inputRows(), s.line());
    assertEquals(3, s.errors(), s.line());
    assertNull(s.failure(), s.line());
    List<Row> rows = spark.read().json(out.toString()).select("ember.error", MalformedLines.COLUMN, "prompt").collectAsList();
    for (Row r : rows) {
      String error = r.getString(0);
      String raw = r.getString(1);
      if (raw == null) {
        assertNull(error, r.toString());
        assertTrue(r.getString(2).length() > 0);
      } else {
        assertTrue(error.startsWith("malformed JSON line"), error);
        assertTrue(error.contains("column " + MalformedLines.COLUMN), error);
      }
    }
    List<String> raws = rows.stream().map(r -> r.getString(1)).filter(java.util.Objects::nonNull).sorted().toList();
    assertEquals(List.of(broken, dup, nested).stream().sorted().toList(), raws);
    String dupError = rows.stream().filter(r -> dup.equals(r.getString(1))).findFirst().orElseThrow().getString(0);
    assertTrue(dupError.contains("duplicate key 'prompt'"), dupError);
    String nestedError = rows.stream().filter(r -> nested.equals(r.getString(1))).findFirst().orElseThrow().getString(0);
    assertTrue(nestedError.contains("\"prompt\" must be a string, not an object"), nestedError);
  }

  @Test
  void aGoodJsonFileHasNoCorruptRecordColumn() throws Exception {
    Path out = dir.resolve("good-out");
    EmberJob.run(spark, args("--output", out.toString(), "--max-tokens", "2"));
    assertFalse(List.of(spark.read().json(out.toString()).columns()).contains(MalformedLines.COLUMN));
  }

  @Test
  void anEmptyInputSaysSoAndWritesAnEmptyOutput() throws Exception {
    Path empty = Files.writeString(dir.resolve("empty.jsonl"), "");
    Path out = dir.resolve("empty-out");
    EmberJob.Summary s = EmberJob.run(spark, args("--input", empty.toString(), "--output", out.toString()));
    assertEquals(0, s.rows(), s.line());
    assertEquals(0, s.inputRows(), s.line());
    assertNull(s.failure(), s.line());
    assertTrue(Files.isDirectory(out), "an empty output is written");
    assertEquals(0, spark.read().json(out.toString()).count());
  }
}
