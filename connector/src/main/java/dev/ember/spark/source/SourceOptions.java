package dev.ember.spark.source;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;

import org.apache.spark.sql.util.CaseInsensitiveStringMap;

import dev.ember.spark.frame.EmberOptions;

/**
 * The options of {@code spark.read.format("ember")}, parsed and checked on the driver.
 *
 * <pre>
 * spark.read.format("ember")
 *   .option("model", "hdfs:///models/stories260K.gguf")
 *   .option("maxTokens", "64")
 *   .load("prompts.jsonl")
 * </pre>
 *
 * Options: {@code model} (required), {@code path} (or load(path); a file or a directory of files),
 * {@code format} json|text|parquet|csv (default from the extension, else json; parquet and csv
 * are staged as JSON Lines first, see {@link StagedInput}, with {@code header} for csv, default
 * true, and {@code stagingDir}), {@code task} generate|score,
 * {@code promptColumn}, {@code maxTokens}, {@code temperature}, {@code topK}, {@code topP},
 * {@code seed}, {@code stop}, {@code threads}, {@code contextLength}, {@code maxSequences},
 * {@code modelSha256}, {@code partitionTokens} (estimated tokens per input partition, default
 * 65536) and {@code batchRows} (rows per columnar batch, default 256).
 */
record SourceOptions(String path, String format, String task, EmberOptions ember, long partitionTokens, int batchRows)
    implements Serializable {

  static SourceOptions parse(CaseInsensitiveStringMap map) {
    String model = map.get("model");
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("Ember: option 'model' is required");
    }
    String path = map.get("path");
    if (path == null || path.isBlank()) {
      throw new IllegalArgumentException("Ember: give the prompts with load(path) or option 'path'");
    }
    String lower = path.toLowerCase(Locale.ROOT);
    String byName = lower.endsWith(".txt") ? "text" : lower.endsWith(".parquet") ? "parquet" : lower.endsWith(".csv") ? "csv" : "json";
    String format = map.getOrDefault("format", byName).toLowerCase(Locale.ROOT);
    if (!java.util.Set.of("json", "text", "parquet", "csv").contains(format)) {
      throw new IllegalArgumentException("Ember: option 'format' must be json, text, parquet or csv, got " + format);
    }
    String task = map.getOrDefault("task", "generate").toLowerCase(Locale.ROOT);
    if (!task.equals("generate") && !task.equals("score")) {
      throw new IllegalArgumentException("Ember: option 'task' must be generate or score, got " + task);
    }
    EmberOptions opts = EmberOptions.model(model);
    try {
      if (map.containsKey("promptColumn")) opts = opts.withPromptColumn(map.get("promptColumn"));
      if (map.containsKey("modelSha256")) opts = opts.withModelSha256(map.get("modelSha256"));
      if (map.containsKey("maxTokens")) opts = opts.withMaxTokens(Integer.parseInt(map.get("maxTokens")));
      if (map.containsKey("temperature")) opts = opts.withTemperature(Float.parseFloat(map.get("temperature")));
      if (map.containsKey("topK")) opts = opts.withTopK(Integer.parseInt(map.get("topK")));
      if (map.containsKey("topP")) opts = opts.withTopP(Float.parseFloat(map.get("topP")));
      if (map.containsKey("seed")) opts = opts.withSeed(Long.parseLong(map.get("seed")));
      if (map.containsKey("stop")) opts = opts.withStop(List.of(map.get("stop")));
      if (map.containsKey("threads")) opts = opts.withThreads(Integer.parseInt(map.get("threads")));
      if (map.containsKey("contextLength")) opts = opts.withContextLength(Integer.parseInt(map.get("contextLength")));
      if (map.containsKey("maxSequences")) opts = opts.withMaxSequences(Integer.parseInt(map.get("maxSequences")));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Ember: a numeric option is not a number: " + e.getMessage(), e);
    }
    opts.validate();
    long partitionTokens = map.getLong("partitionTokens", 65536);
    int batchRows = map.getInt("batchRows", 256);
    if (partitionTokens < 1 || batchRows < 1) {
      throw new IllegalArgumentException("Ember: partitionTokens and batchRows must be >= 1");
    }
    return new SourceOptions(path, format, task, opts, partitionTokens, batchRows);
  }
}
