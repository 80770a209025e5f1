package dev.ember.spark.frame;

import java.io.Serializable;

/**
 * Columns that carry per-row sampling options. A null name turns the option's column off. A
 * column with the default name is used when the input has it and ignored otherwise; a column
 * named explicitly must exist, or the job fails on the driver.
 */
public record RowOptionColumns(String maxTokens, String temperature, String seed, String stop)
    implements Serializable {
  public static final String MAX_TOKENS = "max_tokens";
  public static final String TEMPERATURE = "temperature";
  public static final String SEED = "seed";
  public static final String STOP = "stop";

  public static RowOptionColumns defaults() {
    return new RowOptionColumns(MAX_TOKENS, TEMPERATURE, SEED, STOP);
  }

  public static RowOptionColumns none() {
    return new RowOptionColumns(null, null, null, null);
  }

  static boolean isDefaultName(String name) {
    return MAX_TOKENS.equals(name) || TEMPERATURE.equals(name) || SEED.equals(name) || STOP.equals(name);
  }
}
