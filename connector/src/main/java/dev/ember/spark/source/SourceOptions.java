package dev.ember.spark.source;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.spark.sql.util.CaseInsensitiveStringMap;

import dev.ember.spark.frame.EmberOptions;
import dev.ember.spark.frame.OptionRegistry;
import dev.ember.spark.frame.Task;

/**
 * The options of {@code spark.read.format("ember")}, parsed and checked on the driver through
 * {@link OptionRegistry} (camelCase names, case-insensitive; unknown names fail and name the
 * closest valid one), over the session conf's {@code spark.ember.*} settings.
 *
 * <pre>
 * spark.read.format("ember")
 *   .option("model", "hdfs:///models/stories260K.gguf")
 *   .option("maxTokens", "64")
 *   .load("prompts.jsonl")            // or .option("table", "prompts") for a table or view
 * </pre>
 */
record SourceOptions(String path, String table, String format, Task task, EmberOptions ember, long partitionTokens, int batchRows)
    implements Serializable {

  static SourceOptions parse(CaseInsensitiveStringMap map, Map<String, String> sessionConf) {
    Map<String, String> given = new LinkedHashMap<>(map.asCaseSensitiveMap());
    given.remove("paths"); // Spark adds this one itself for load(path)
    EmberOptions opts = EmberOptions.model(null);
    opts = OptionRegistry.applySingle(
        opts, OptionRegistry.fromSessionConf(sessionConf), OptionRegistry.Spelling.API, "session conf key", OptionRegistry.API_SCOPES);
    opts = OptionRegistry.applySingle(opts, given, OptionRegistry.Spelling.API, "option", OptionRegistry.SOURCE_SCOPES);
    if (opts.model() == null || opts.model().isBlank()) {
      throw new IllegalArgumentException("Ember: option 'model' is required (or set spark.ember.model)");
    }
    String path = map.get("path");
    String table = map.get("table");
    if ((path == null || path.isBlank()) == (table == null || table.isBlank())) {
      throw new IllegalArgumentException("Ember: give the prompts with load(path), option 'path' or option 'table' (one of them)");
    }
    String format;
    if (table != null) {
      format = "table";
    } else {
      String lower = path.toLowerCase(Locale.ROOT);
      String byName = lower.endsWith(".txt") ? "text" : lower.endsWith(".parquet") ? "parquet" : lower.endsWith(".csv") ? "csv" : "json";
      format = map.getOrDefault("format", byName).toLowerCase(Locale.ROOT);
      if (!java.util.Set.of("json", "text", "parquet", "csv").contains(format)) {
        throw new IllegalArgumentException("Ember: option 'format' must be json, text, parquet or csv, got " + format);
      }
    }
    String taskName = map.getOrDefault("task", "generate").toLowerCase(Locale.ROOT);
    List<String> labels = map.containsKey("labels") ? OptionRegistry.list(map.get("labels")) : List.of();
    if (!taskName.equals("classify") && !labels.isEmpty()) {
      throw new IllegalArgumentException("Ember: option 'labels' only applies to task classify");
    }
    opts.validate();
    Task task = Task.resolve(Task.named(taskName, labels), opts);
    long partitionTokens = map.getLong("partitionTokens", 65536);
    int batchRows = map.getInt("batchRows", 256);
    if (partitionTokens < 1 || batchRows < 1) {
      throw new IllegalArgumentException("Ember: partitionTokens and batchRows must be >= 1");
    }
    return new SourceOptions(path, table, format, task, opts, partitionTokens, batchRows);
  }

  /** JSON Lines or text, which the source reads line by line; other inputs Spark reads ({@link PromptInput}). */
  boolean readsLines() {
    return format.equals("json") || format.equals("text");
  }

  /** The input, for messages and plans: its path, or "table NAME". */
  String input() {
    return table != null ? "table " + table : path;
  }
}
