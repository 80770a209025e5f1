package dev.ember.examples;

import java.net.InetAddress;
import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import dev.ember.spark.frame.Ember;
import dev.ember.spark.frame.EmberOptions;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.when;

/**
 * What {@code ./ember demo} runs: Ember's shipped model over {@code examples/data} in a local
 * Spark session, showing the three tasks.
 *
 * <ol>
 *   <li>generate: complete story openings and answer questions about the model's world;</li>
 *   <li>score: perplexity of held-out documents against the same documents with their words
 *       shuffled;</li>
 *   <li>classify: zero-shot sentiment and topic of labelled sentences, by scoring each label as
 *       a continuation of the prompt.</li>
 * </ol>
 *
 * <pre>DemoJob MODEL DATA_DIR</pre>
 */
public final class DemoJob {
  private DemoJob() {}

  public static void main(String[] args) {
    String model = args[0];
    String data = args[1];
    SparkSession spark =
        SparkSession.builder()
            .appName("ember-demo")
            .master(System.getProperty("spark.master", "local[2]"))
            .config("spark.driver.host", InetAddress.getLoopbackAddress().getHostAddress())
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .getOrCreate();
    try {
      EmberOptions opts = EmberOptions.model(model).withMaxTokens(40).withTemperature(0f);

      System.out.println("\n== generate: story openings and questions (examples/data/story-prompts.jsonl) ==");
      Dataset<Row> prompts = spark.read().json(data + "/story-prompts.jsonl").orderBy("id").limit(12);
      Dataset<Row> generated = Ember.generate(prompts, opts).cache();
      generated.select("id", "prompt", "ember.text", "ember.finish_reason", "ember.completion_tokens").orderBy("id").show(12, 70);

      System.out.println("== score: held-out text against the same words shuffled (examples/data/corpus.jsonl) ==");
      Dataset<Row> corpus = spark.read().json(data + "/corpus.jsonl");
      Dataset<Row> scored = Ember.score(corpus, opts.withPromptColumn("text")).cache();
      scored.groupBy("kind")
          .agg(count("*").as("documents"), avg("ember.perplexity").as("mean_perplexity"))
          .orderBy("kind")
          .show(false);

      System.out.println("== classify: zero-shot sentiment and topic (examples/data/reviews.jsonl) ==");
      // The dataset's own label column stays as it is: Ember's results are in the ember struct.
      Dataset<Row> reviews = spark.read().json(data + "/reviews.jsonl");
      Dataset<Row> sentiment =
          Ember.classify(reviews.filter("task = 'sentiment'"), List.of("positive", "negative"), opts.withPromptColumn("prompt"));
      Dataset<Row> topic =
          Ember.classify(
              reviews.filter("task = 'topic'"),
              List.of("animals", "food", "weather", "sports", "school"),
              opts.withPromptColumn("prompt"));
      Dataset<Row> classified = sentiment.unionByName(topic).cache();
      classified.select(col("id"), col("text"), col("label").as("expected"), col("ember.label").as("predicted")).orderBy("id").show(8, 60);
      classified
          .groupBy("task")
          .agg(
              count("*").as("sentences"),
              avg(when(col("ember.label").equalTo(col("label")), 1.0).otherwise(0.0)).as("accuracy"))
          .orderBy("task")
          .show(false);
    } finally {
      spark.stop();
    }
  }
}
