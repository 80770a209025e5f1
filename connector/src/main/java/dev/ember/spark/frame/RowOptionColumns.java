package dev.ember.spark.frame;

import java.io.Serializable;
import java.util.List;

/**
 * Columns that carry per-row sampling options, overriding the call's options row by row. Off by
 * default ({@link #none()}): a dataset's own {@code temperature} or {@code stop} column (a weather
 * reading, a bus stop) must never turn into a sampling option unnoticed. {@link #all()} uses the
 * snake_case option names as column names where the input has them; a column named explicitly
 * must exist, or the job fails on the driver. The columns in use are logged on the driver.
 * A null name turns that option's column off.
 */
public record RowOptionColumns(
    String maxTokens, String temperature, String seed, String stop, String logprobs, String responseFormat)
    implements Serializable {
  public static final String MAX_TOKENS = "max_tokens";
  public static final String TEMPERATURE = "temperature";
  public static final String SEED = "seed";
  public static final String STOP = "stop";
  public static final String LOGPROBS = "logprobs";
  /** A JSON schema string: the row's output is JSON valid against it (overrides the call's constraint). */
  public static final String RESPONSE_FORMAT = "response_format";

  /** Explicit column names (each must exist); response_format off. */
  public RowOptionColumns(String maxTokens, String temperature, String seed, String stop, String logprobs) {
    this(maxTokens, temperature, seed, stop, logprobs, null);
  }

  /** Explicit column names (each must exist); logprobs off. */
  public RowOptionColumns(String maxTokens, String temperature, String seed, String stop) {
    this(maxTokens, temperature, seed, stop, null, null);
  }

  /** Every option from its snake_case column, where the input has one. */
  public static RowOptionColumns all() {
    return new RowOptionColumns(MAX_TOKENS, TEMPERATURE, SEED, STOP, LOGPROBS, RESPONSE_FORMAT);
  }

  /** No per-row options (the default). */
  public static RowOptionColumns none() {
    return new RowOptionColumns(null, null, null, null, null, null);
  }

  /** {@code none}, {@code all}, or a comma list of option names (snake_case), e.g. {@code temperature,seed}. */
  public static RowOptionColumns parse(String value) {
    String v = value == null ? "none" : value.trim();
    if (v.equalsIgnoreCase("none") || v.isEmpty()) {
      return none();
    }
    if (v.equalsIgnoreCase("all")) {
      return all();
    }
    String mt = null, t = null, s = null, st = null, lp = null, rf = null;
    for (String name : OptionRegistry.list(v)) {
      switch (name) {
        case MAX_TOKENS -> mt = name;
        case TEMPERATURE -> t = name;
        case SEED -> s = name;
        case STOP -> st = name;
        case LOGPROBS -> lp = name;
        case RESPONSE_FORMAT -> rf = name;
        default -> throw new IllegalArgumentException(
            "rowOptions: unknown option column '" + name + "'; use none, all or some of " + List.of(MAX_TOKENS, TEMPERATURE, SEED, STOP, LOGPROBS, RESPONSE_FORMAT));
      }
    }
    return new RowOptionColumns(mt, t, s, st, lp, rf);
  }
}
