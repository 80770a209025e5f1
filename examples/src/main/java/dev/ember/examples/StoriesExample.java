package dev.ember.examples;

import java.net.InetAddress;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import dev.ember.spark.frame.Ember;
import dev.ember.spark.frame.EmberOptions;

/**
 * The DataFrame API in a few lines: complete the example prompts, then score the completions.
 *
 * <pre>
 * StoriesExample MODEL [PROMPTS_JSONL]
 * </pre>
 *
 * Per-row options (max_tokens, temperature, seed, stop) come from columns of the same names when
 * the input has them; rows with a null or empty prompt get an error value instead of failing.
 */
public final class StoriesExample {
  private StoriesExample() {}

  public static void main(String[] args) {
    if (args.length < 1) {
      System.err.println("usage: StoriesExample MODEL [PROMPTS_JSONL]");
      System.exit(2);
    }
    String model = args[0];
    String prompts = args.length > 1 ? args[1] : "examples/data/prompts.jsonl";
    SparkSession spark =
        SparkSession.builder()
            .appName("ember-stories")
            .master(System.getProperty("spark.master", "local[2]"))
            .config("spark.driver.host", InetAddress.getLoopbackAddress().getHostAddress())
            .getOrCreate();
    try {
      Dataset<Row> input = spark.read().json(prompts);
      EmberOptions opts = EmberOptions.model(model).withMaxTokens(32);

      Dataset<Row> stories = Ember.generate(input, opts).cache();
      stories.select("id", "prompt", "ember.text", "ember.finish_reason", "ember.completion_tokens", "ember.error").orderBy("id").show(30, 60);

      Dataset<Row> scored =
          Ember.score(stories.filter("ember.error is null").select("id", "ember.text"), opts.withPromptColumn("text").withMaxTokens(1));
      scored.select("id", "ember.perplexity", "ember.tokens").orderBy("id").show(30, false);
    } finally {
      spark.stop();
    }
  }
}
