package dev.ember.spark.frame;

import java.io.Serializable;
import java.util.List;

import dev.ember.spark.executor.EngineSettings;

/**
 * What {@link Ember} runs: the model, where the prompt is, the engine's options, the sampling
 * defaults and the per-row option columns. Immutable; start with {@link #model(String)} and chain
 * the {@code with...} methods, from Java or Scala alike:
 *
 * <pre>{@code
 * EmberOptions opts = EmberOptions.model("hdfs:///models/stories260K.gguf")
 *     .withPromptColumn("question").withMaxTokens(64).withTemperature(0.7f);
 * }</pre>
 *
 * @param model a GGUF file or an HF model directory on any Hadoop FileSystem, or a plain path
 * @param modelSha256 the hex SHA-256 the model file must have, or null
 * @param promptColumn the string column holding the prompt (or the text to score)
 * @param engine engine options, shared by every task of an executor
 * @param sampling sampling defaults
 * @param rowOptions per-row sampling option columns
 * @param inflightPerTask requests each task keeps queued in the shared engine; 0 means the
 *     engine's max sequences, enough for one task to fill a batch on its own
 * @param prefix prefix-aware partitioning: off, or how to group rows that share a prompt prefix
 * @param chat where conversations come from when prompts go through the model's chat template (off by default)
 * @param output where the results go: one struct column (default {@code ember}) or flattened columns
 * @param errors what a row with an error does to the job (by default: nothing, the row carries it)
 * @param idColumn the column that identifies a row (for error messages and resume), or null
 * @param parseSpecial whether control-token texts in prompts from data ({@code <|endoftext|>},
 *     {@code </s>}) are parsed as the control tokens; off by default, so a row's text cannot end
 *     or restart its sequence (chat templates' own markers are control tokens either way)
 *
 * <p>Every option also has a string form, {@link #with(String, String)}, with the names that
 * {@link OptionRegistry} lists for all surfaces.
 */
public record EmberOptions(
    String model,
    String modelSha256,
    String promptColumn,
    EngineSettings engine,
    Sampling sampling,
    RowOptionColumns rowOptions,
    int inflightPerTask,
    PrefixPartitioning prefix,
    ChatColumns chat,
    OutputLayout output,
    ErrorPolicy errors,
    String idColumn,
    boolean parseSpecial)
    implements Serializable {

  public static final String DEFAULT_PROMPT_COLUMN = "prompt";

  public static EmberOptions model(String model) {
    return new EmberOptions(
        model, null, DEFAULT_PROMPT_COLUMN, EngineSettings.defaults(), Sampling.defaults(), RowOptionColumns.none(), 0,
        PrefixPartitioning.off(), ChatColumns.off(), OutputLayout.defaults(), ErrorPolicy.defaults(), null, false);
  }

  /** Sets one option by its API name ({@code maxTokens}, ...; see {@link OptionRegistry}); unknown names fail. */
  public EmberOptions with(String name, String value) {
    return OptionRegistry.applySingle(this, java.util.Map.of(name, value), OptionRegistry.Spelling.API, "option", OptionRegistry.API_SCOPES);
  }

  /** Sets options by their API names; unknown names fail and name the closest valid one. */
  public EmberOptions with(java.util.Map<String, String> options) {
    return OptionRegistry.applySingle(this, options, OptionRegistry.Spelling.API, "option", OptionRegistry.API_SCOPES);
  }

  /**
   * Checks everything that can be checked without the data or the model, so that mistakes fail
   * on the driver with a clear message instead of in every task.
   */
  public void validate() {
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("Ember: no model given");
    }
    if (promptColumn == null || promptColumn.isBlank()) {
      throw new IllegalArgumentException("Ember: no prompt column given");
    }
    if (inflightPerTask < 0) {
      throw new IllegalArgumentException("Ember: inflightPerTask must be >= 0, got " + inflightPerTask);
    }
    if (modelSha256 != null && !modelSha256.matches("[0-9a-fA-F]{64}")) {
      throw new IllegalArgumentException("Ember: model SHA-256 must be 64 hex digits, got " + modelSha256);
    }
    if (chat == null) {
      throw new IllegalArgumentException("Ember: chat columns must not be null (use ChatColumns.off())");
    }
    if (rowOptions == null) {
      throw new IllegalArgumentException("Ember: row option columns must not be null (use RowOptionColumns.none())");
    }
    try {
      chat.validate();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Ember: " + e.getMessage(), e);
    }
    if (prefix == null) {
      throw new IllegalArgumentException("Ember: prefix partitioning must not be null (use PrefixPartitioning.off())");
    }
    try {
      prefix.validate();
      engine.validate();
      sampling.validate();
      output.validate();
      errors.validate();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Ember: invalid options: " + e.getMessage(), e);
    }
  }

  public int resolvedInflight() {
    return inflightPerTask > 0 ? inflightPerTask : engine.maxSequences();
  }

  private EmberOptions copy(
      String model, String modelSha256, String promptColumn, EngineSettings engine, Sampling sampling,
      RowOptionColumns rowOptions, int inflightPerTask, PrefixPartitioning prefix, ChatColumns chat,
      OutputLayout output, ErrorPolicy errors, String idColumn) {
    return new EmberOptions(model, modelSha256, promptColumn, engine, sampling, rowOptions, inflightPerTask, prefix, chat, output, errors, idColumn, parseSpecial);
  }

  /** Parses control-token texts in prompts from data as control tokens (off by default; see {@code parseSpecial}). */
  public EmberOptions withParseSpecial(boolean value) {
    return new EmberOptions(model, modelSha256, promptColumn, engine, sampling, rowOptions, inflightPerTask, prefix, chat, output, errors, idColumn, value);
  }

  public EmberOptions withModel(String value) {
    return copy(value, modelSha256, promptColumn, engine, sampling, rowOptions, inflightPerTask, prefix, chat, output, errors, idColumn);
  }

  public EmberOptions withModelSha256(String value) {
    return copy(model, value, promptColumn, engine, sampling, rowOptions, inflightPerTask, prefix, chat, output, errors, idColumn);
  }

  public EmberOptions withChat(ChatColumns value) {
    return copy(model, modelSha256, promptColumn, engine, sampling, rowOptions, inflightPerTask, prefix, value, output, errors, idColumn);
  }

  /** Prompts from a column of messages ({@code role}, {@code content}), rendered with the model's chat template. */
  public EmberOptions withChatMessages(String column) {
    return withChat(ChatColumns.messages(column));
  }

  /** Prompts from system (may be null) and user columns, rendered with the model's chat template. */
  public EmberOptions withChatColumns(String systemColumn, String userColumn) {
    return withChat(ChatColumns.systemAndUser(systemColumn, userColumn));
  }

  public EmberOptions withPromptColumn(String value) {
    return copy(model, modelSha256, value, engine, sampling, rowOptions, inflightPerTask, prefix, chat, output, errors, idColumn);
  }

  public EmberOptions withEngine(EngineSettings value) {
    return copy(model, modelSha256, promptColumn, value, sampling, rowOptions, inflightPerTask, prefix, chat, output, errors, idColumn);
  }

  public EmberOptions withSampling(Sampling value) {
    return copy(model, modelSha256, promptColumn, engine, value, rowOptions, inflightPerTask, prefix, chat, output, errors, idColumn);
  }

  /**
   * Per-row option columns. Off by default: a dataset's own {@code temperature} or {@code stop}
   * column is never taken for a sampling option unless asked for. {@link RowOptionColumns#all()}
   * uses the snake_case names ({@code max_tokens}, {@code temperature}, {@code seed}, {@code stop},
   * {@code logprobs}) where the input has them.
   */
  public EmberOptions withRowOptions(RowOptionColumns value) {
    return copy(model, modelSha256, promptColumn, engine, sampling, value, inflightPerTask, prefix, chat, output, errors, idColumn);
  }

  public EmberOptions withInflightPerTask(int value) {
    return copy(model, modelSha256, promptColumn, engine, sampling, rowOptions, value, prefix, chat, output, errors, idColumn);
  }

  public EmberOptions withPrefix(PrefixPartitioning value) {
    return copy(model, modelSha256, promptColumn, engine, sampling, rowOptions, inflightPerTask, value, chat, output, errors, idColumn);
  }

  public EmberOptions withOutput(OutputLayout value) {
    return copy(model, modelSha256, promptColumn, engine, sampling, rowOptions, inflightPerTask, prefix, chat, value, errors, idColumn);
  }

  /** The struct column that holds the results (default {@code ember}). */
  public EmberOptions withOutputCol(String value) {
    return withOutput(new OutputLayout(value, output.flattenPrefix()));
  }

  /** Results as top-level columns named {@code prefix + field} instead of one struct column. */
  public EmberOptions withFlattenPrefix(String value) {
    return withOutput(new OutputLayout(output.column(), value));
  }

  public EmberOptions withErrors(ErrorPolicy value) {
    return copy(model, modelSha256, promptColumn, engine, sampling, rowOptions, inflightPerTask, prefix, chat, output, value, idColumn);
  }

  /** Fail the task (and so the job) at the first row with an error, naming the row and the reason. */
  public EmberOptions withFailOnError(boolean value) {
    return withErrors(new ErrorPolicy(value, errors.maxErrorFraction()));
  }

  /** The job (and {@link Ember#checkErrors}) fail when more than this fraction of rows failed. */
  public EmberOptions withMaxErrorFraction(double value) {
    return withErrors(new ErrorPolicy(errors.failOnError(), value));
  }

  public EmberOptions withIdColumn(String value) {
    return copy(model, modelSha256, promptColumn, engine, sampling, rowOptions, inflightPerTask, prefix, chat, output, errors, value);
  }

  /**
   * Repartitions and sorts rows by prompt (after {@code groupColumns}, e.g. a system-prompt
   * column) before inference, so rows sharing a prefix meet in the same partition, one after
   * another, and hit the engine's prefix cache. {@code partitions} 0 keeps the input's count.
   */
  public EmberOptions withPrefixPartitioning(int partitions, String... groupColumns) {
    return withPrefix(new PrefixPartitioning(true, partitions, java.util.List.of(groupColumns)));
  }

  public EmberOptions withKvCacheBytes(long value) {
    return withEngine(engine.withKvCacheBytes(value));
  }

  /** The KV cache's element type: f32, f16 (the engine's default), bf16 or q8_0; anything else fails naming them. */
  public EmberOptions withKvCacheType(String value) {
    return withEngine(engine.withKvCacheType(dev.ember.engine.api.KvCacheType.parse(value.trim())));
  }

  public EmberOptions withThreads(int value) {
    return withEngine(engine.withThreads(value));
  }

  public EmberOptions withContextLength(int value) {
    return withEngine(engine.withContextLength(value));
  }

  public EmberOptions withMaxSequences(int value) {
    return withEngine(engine.withMaxSequences(value));
  }

  public EmberOptions withMaxTokens(int value) {
    return withSampling(sampling.withMaxTokens(value));
  }

  public EmberOptions withTemperature(float value) {
    return withSampling(sampling.withTemperature(value));
  }

  public EmberOptions withTopK(int value) {
    return withSampling(sampling.withTopK(value));
  }

  public EmberOptions withTopP(float value) {
    return withSampling(sampling.withTopP(value));
  }

  public EmberOptions withSeed(long value) {
    return withSampling(sampling.withSeed(value));
  }

  public EmberOptions withStop(List<String> value) {
    return withSampling(sampling.withStop(value));
  }

  public EmberOptions withStop(String... value) {
    return withStop(List.of(value));
  }

  private EmberOptions withConstraint(OutputConstraint value) {
    return withSampling(sampling.withConstraint(value));
  }

  /** generate: every output is compact JSON valid against this JSON Schema (given as JSON text). */
  public EmberOptions withJsonSchema(String schema) {
    return withConstraint(sampling.constraint().withJsonSchema(schema));
  }

  /** generate: every output matches this java.util.regex pattern as a whole. */
  public EmberOptions withRegex(String pattern) {
    return withConstraint(sampling.constraint().withRegex(pattern));
  }

  /** generate: every output is exactly one of these strings. */
  public EmberOptions withChoices(List<String> choices) {
    return withConstraint(sampling.constraint().withChoices(choices));
  }

  public EmberOptions withChoices(String... choices) {
    return withChoices(List.of(choices));
  }

  /** generate: every output is a sentence of this llama.cpp GBNF grammar (rule root). */
  public EmberOptions withGrammar(String gbnf) {
    return withConstraint(sampling.constraint().withGrammar(gbnf));
  }

  /**
   * generate: outputs are JSON objects with these fields (Spark DDL, {@code "name STRING, age INT,
   * tags ARRAY<STRING>"}; the JSON schema is derived from it unless {@link #withJsonSchema} gives
   * one), parsed into a typed struct field {@code parsed} of the results. A row whose output does
   * not parse gets {@code error} and a null struct.
   */
  public EmberOptions withOutputSchema(String ddl) {
    return withConstraint(sampling.constraint().withOutputSchema(ddl));
  }

  /** {@link #withOutputSchema(String)}, with the parsed struct in the result field {@code field}. */
  public EmberOptions withOutputSchema(String ddl, String field) {
    return withConstraint(sampling.constraint().withOutputSchema(ddl).withParsedCol(field));
  }

  /** Each generated token's log-prob with {@code top} alternatives (0-20) in the {@code logprobs} field; -1 turns it off. */
  public EmberOptions withLogprobs(int top) {
    return withSampling(sampling.withLogprobs(top));
  }
}
