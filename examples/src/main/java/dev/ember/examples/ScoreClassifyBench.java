package dev.ember.examples;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.ember.spark.frame.Ember;
import dev.ember.spark.frame.EmberOptions;

/**
 * Rows/s of {@code Ember.score} (documents of about 100 tokens) and {@code Ember.classify} (two
 * labels) over ROWS rows built from examples/data, on local[2] by default (issue 11's measurement).
 * Each task runs twice: with one request in flight per task ({@code inflightPerTask=1}, what score
 * and classify did before the engine's asynchronous calls) and with the default window (the engine's
 * max sequences), so one run shows before and after. {@code Ember.generate} (16 tokens) is timed
 * once with the default window, to check it did not get slower.
 *
 * <pre>ScoreClassifyBench [MODEL [DATA_DIR [ROWS]]]   (-Dspark.master=local[2])</pre>
 *
 * <p>Documents: windows of 75 words (about 100 tokens) at different offsets of corpus.jsonl's
 * texts; classify prompts: "Review: A B\nSentiment:" over pairs of reviews.jsonl sentences. Rows
 * differ from their first words on, so the prefix cache helps no mode more than another (a
 * classify prompt shares its first sentence with 1 in 100 others, in both modes). Every result
 * goes to Spark's noop sink, so nothing is pruned; the model is loaded and warmed before timing.
 */
public final class ScoreClassifyBench {
  private ScoreClassifyBench() {}

  public static void main(String[] args) throws IOException {
    Path root = Path.of("").toAbsolutePath();
    String model = args.length > 0 ? args[0] : root.resolve("examples/models/ember-v4-story.gguf").toString();
    Path data = Path.of(args.length > 1 ? args[1] : root.resolve("examples/data").toString());
    int rows = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
    SparkSession spark = SparkSession.builder().appName("ember-score-classify-bench").master(System.getProperty("spark.master", "local[2]"))
        .config("spark.driver.host", InetAddress.getLoopbackAddress().getHostAddress()).config("spark.ui.enabled", "false")
        .getOrCreate();
    try {
      StructType schema = new StructType().add("id", DataTypes.IntegerType).add("prompt", DataTypes.StringType);
      Dataset<Row> docs = spark.createDataFrame(documents(data.resolve("corpus.jsonl"), rows), schema).cache();
      Dataset<Row> reviews = spark.createDataFrame(reviews(data.resolve("reviews.jsonl"), rows), schema).cache();
      docs.count();
      reviews.count();
      EmberOptions opts = EmberOptions.model(model);
      List<String> labels = List.of("positive", "negative");
      // Load the model and warm the JIT on a few rows of each kind.
      consume(Ember.score(docs.limit(8), opts));
      consume(Ember.classify(reviews.limit(8), labels, opts));
      double tokens = meanTokens(Ember.score(docs.limit(64), opts));
      System.out.println(String.format(Locale.ROOT, "EMBER_BENCH score documents: mean %.1f tokens (first 64 rows)", tokens));
      for (int inflight : new int[] {1, 0}) {
        String mode = inflight == 1 ? "one in flight per task" : "window " + opts.resolvedInflight() + " per task";
        EmberOptions o = opts.withInflightPerTask(inflight);
        report("Ember.score, " + mode, rows, () -> consume(Ember.score(docs, o)));
        report("Ember.classify (2 labels), " + mode, rows, () -> consume(Ember.classify(reviews, labels, o)));
      }
      report("Ember.generate (16 tokens), window " + opts.resolvedInflight() + " per task", rows,
          () -> consume(Ember.generate(docs, opts.withMaxTokens(16))));
    } finally {
      spark.stop();
    }
  }

  /** ROWS documents of 75 words, taken at different offsets of the corpus's words (wrapping). */
  static List<Row> documents(Path corpus, int rows) throws IOException {
    List<String> words = new ArrayList<>();
    for (JsonNode n : lines(corpus)) {
      words.addAll(Arrays.asList(n.get("text").asText().trim().split("\\s+")));
    }
    List<Row> out = new ArrayList<>(rows);
    int n = words.size();
    for (int i = 0; i < rows; i++) {
      int start = (int) ((long) i * 37 % n);
      StringBuilder b = new StringBuilder();
      for (int w = 0; w < 75; w++) {
        b.append(w == 0 ? "" : " ").append(words.get((start + w) % n));
      }
      out.add(RowFactory.create(i, b.toString()));
    }
    return out;
  }

  /** ROWS sentiment prompts over pairs of review sentences (the model's trained prompt format). */
  static List<Row> reviews(Path reviews, int rows) throws IOException {
    List<String> texts = new ArrayList<>();
    for (JsonNode n : lines(reviews)) {
      texts.add(n.get("text").asText().trim());
    }
    int n = texts.size();
    List<Row> out = new ArrayList<>(rows);
    for (int i = 0; i < rows; i++) {
      int a = i % n;
      int b = (a + 1 + (i / n) % (n - 1)) % n;
      out.add(RowFactory.create(i, "Review: " + texts.get(a) + " " + texts.get(b) + "\nSentiment:"));
    }
    return out;
  }

  private static List<JsonNode> lines(Path file) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      if (!line.isBlank()) {
        out.add(json.readTree(line));
      }
    }
    return out;
  }

  private static double meanTokens(Dataset<Row> scored) {
    return scored.selectExpr("avg(ember.tokens)").first().getDouble(0);
  }

  private static void consume(Dataset<Row> result) {
    result.write().format("noop").mode("overwrite").save();
  }

  private static void report(String what, int rows, Runnable run) {
    long start = System.nanoTime();
    run.run();
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.println(String.format(Locale.ROOT, "EMBER_BENCH %-52s rows=%d seconds=%.2f rows_per_s=%.1f", what, rows, seconds, rows / seconds));
  }
}
