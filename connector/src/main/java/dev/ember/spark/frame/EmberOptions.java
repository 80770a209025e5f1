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
    ChatColumns chat)
    implements Serializable {

  public static final String DEFAULT_PROMPT_COLUMN = "prompt";

  public static EmberOptions model(String model) {
    return new EmberOptions(
        model, null, DEFAULT_PROMPT_COLUMN, EngineSettings.defaults(), Sampling.defaults(), RowOptionColumns.defaults(), 0, PrefixPartitioning.off(), ChatColumns.off());
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
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Ember: invalid options: " + e.getMessage(), e);
    }
  }

  public int resolvedInflight() {
    return inflightPerTask > 0 ? inflightPerTask : engine.maxSequences();
  }

  public EmberOptions withModelSha256(String value) {
    return new EmberOptions(model, value, promptColumn, engine, sampling, rowOptions, inflightPerTask, prefix, chat);
  }

  public EmberOptions withChat(ChatColumns value) {
    return new EmberOptions(model, modelSha256, promptColumn, engine, sampling, rowOptions, inflightPerTask, prefix, value);
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
    return new EmberOptions(model, modelSha256, value, engine, sampling, rowOptions, inflightPerTask, prefix, chat);
  }

  public EmberOptions withEngine(EngineSettings value) {
    return new EmberOptions(model, modelSha256, promptColumn, value, sampling, rowOptions, inflightPerTask, prefix, chat);
  }

  public EmberOptions withSampling(Sampling value) {
    return new EmberOptions(model, modelSha256, promptColumn, engine, value, rowOptions, inflightPerTask, prefix, chat);
  }

  public EmberOptions withRowOptions(RowOptionColumns value) {
    return new EmberOptions(model, modelSha256, promptColumn, engine, sampling, value, inflightPerTask, prefix, chat);
  }

  public EmberOptions withInflightPerTask(int value) {
    return new EmberOptions(model, modelSha256, promptColumn, engine, sampling, rowOptions, value, prefix, chat);
  }

  public EmberOptions withPrefix(PrefixPartitioning value) {
    return new EmberOptions(model, modelSha256, promptColumn, engine, sampling, rowOptions, inflightPerTask, value, chat);
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
    Sampling s = sampling;
    return withSampling(new Sampling(value, s.temperature(), s.topK(), s.topP(), s.minP(), s.repetitionPenalty(), s.seed(), s.stop()));
  }

  public EmberOptions withTemperature(float value) {
    Sampling s = sampling;
    return withSampling(new Sampling(s.maxTokens(), value, s.topK(), s.topP(), s.minP(), s.repetitionPenalty(), s.seed(), s.stop()));
  }

  public EmberOptions withTopK(int value) {
    Sampling s = sampling;
    return withSampling(new Sampling(s.maxTokens(), s.temperature(), value, s.topP(), s.minP(), s.repetitionPenalty(), s.seed(), s.stop()));
  }

  public EmberOptions withTopP(float value) {
    Sampling s = sampling;
    return withSampling(new Sampling(s.maxTokens(), s.temperature(), s.topK(), value, s.minP(), s.repetitionPenalty(), s.seed(), s.stop()));
  }

  public EmberOptions withSeed(long value) {
    Sampling s = sampling;
    return withSampling(new Sampling(s.maxTokens(), s.temperature(), s.topK(), s.topP(), s.minP(), s.repetitionPenalty(), value, s.stop()));
  }

  public EmberOptions withStop(List<String> value) {
    Sampling s = sampling;
    return withSampling(new Sampling(s.maxTokens(), s.temperature(), s.topK(), s.topP(), s.minP(), s.repetitionPenalty(), s.seed(), value));
  }

  public EmberOptions withStop(String... value) {
    return withStop(List.of(value));
  }
}
