package dev.ember.spark.ml;

import java.util.Map;

import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.FloatParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

import dev.ember.spark.frame.Ember;
import dev.ember.spark.frame.EmberOptions;
import dev.ember.spark.frame.OptionRegistry;
import dev.ember.spark.frame.RowRequests;
import dev.ember.spark.frame.Task;

/**
 * The shared body of Ember's Spark ML stages: the common {@code Param}s, mapped onto
 * {@link EmberOptions} (anything else through {@code options}, the API names of
 * {@link OptionRegistry}), and {@code transform} through the same pipeline as {@code Ember.*}.
 * Results go into the struct column {@code outputCol}.
 *
 * <p>Params are created in the constructor, after the uid is set, because a {@code Param} records
 * its parent's uid when it is made; {@code DefaultParamsReader} rebuilds a stage with the
 * {@code (String uid)} constructor. Spark Connect ML does too: each concrete stage is listed in
 * {@code META-INF/services/org.apache.spark.ml.Transformer} (a ServiceLoader entry, so it also needs
 * a public no-argument constructor), and a Connect server builds it from its class name and uid and
 * sets the params it was sent by name, which is why every param is a plain type (string, number,
 * string array).
 */
public abstract class EmberStage extends Transformer implements DefaultParamsWritable {
  private final String uid;
  private final Param<String> model;
  private final Param<String> inputCol;
  private final Param<String> outputCol;
  private final IntParam maxTokens;
  private final FloatParam temperature;
  private final LongParam seed;
  private final StringArrayParam options;

  protected EmberStage(String uid) {
    this.uid = uid;
    this.model = new Param<>(this, "model", "GGUF file or HF model directory (any Hadoop URI)");
    this.inputCol = new Param<>(this, "inputCol", "the prompt (or text) column");
    this.outputCol = new Param<>(this, "outputCol", "the struct column that receives the results");
    this.maxTokens = new IntParam(this, "maxTokens", "most tokens to generate");
    this.temperature = new FloatParam(this, "temperature", "sampling temperature; 0 is greedy");
    this.seed = new LongParam(this, "seed", "sampling seed");
    this.options = new StringArrayParam(this, "options", "further options as name=value (API names, e.g. topK=40)");
    setDefault(inputCol, "prompt");
    setDefault(outputCol, "ember");
    setDefault(options, new String[0]);
  }

  @Override
  public String uid() {
    return uid;
  }

  /** The task this stage runs. */
  protected abstract Task task();

  public Param<String> model() {
    return model;
  }

  public Param<String> inputCol() {
    return inputCol;
  }

  public Param<String> outputCol() {
    return outputCol;
  }

  public IntParam maxTokens() {
    return maxTokens;
  }

  public FloatParam temperature() {
    return temperature;
  }

  public LongParam seed() {
    return seed;
  }

  public StringArrayParam options() {
    return options;
  }

  public EmberStage setModel(String value) {
    set(model, value);
    return this;
  }

  public EmberStage setInputCol(String value) {
    set(inputCol, value);
    return this;
  }

  public EmberStage setOutputCol(String value) {
    set(outputCol, value);
    return this;
  }

  public EmberStage setMaxTokens(int value) {
    set(maxTokens, value);
    return this;
  }

  public EmberStage setTemperature(float value) {
    set(temperature, value);
    return this;
  }

  public EmberStage setSeed(long value) {
    set(seed, value);
    return this;
  }

  /** Any other option by its API name, e.g. {@code Map.of("topK", "40", "failOnError", "true")}; checked at once. */
  public EmberStage setOptions(Map<String, String> values) {
    EmberOptions.model("check").with(values); // unknown names fail here, naming the closest
    set(options, values.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).sorted().toArray(String[]::new));
    return this;
  }

  /** The options these params stand for. */
  public EmberOptions emberOptions() {
    if (!isDefined(model)) {
      throw new IllegalArgumentException("Ember: " + getClass().getSimpleName() + " needs setModel(...)");
    }
    EmberOptions opts = EmberOptions.model($(model)).withPromptColumn($(inputCol)).withOutputCol($(outputCol));
    for (String entry : $(options)) {
      int eq = entry.indexOf('=');
      opts = opts.with(entry.substring(0, eq), entry.substring(eq + 1));
    }
    if (isDefined(maxTokens)) {
      opts = opts.withMaxTokens((Integer) $(maxTokens));
    }
    if (isDefined(temperature)) {
      opts = opts.withTemperature((Float) $(temperature));
    }
    if (isDefined(seed)) {
      opts = opts.withSeed((Long) $(seed));
    }
    return opts;
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    return Ember.run(dataset.toDF(), task(), emberOptions());
  }

  @Override
  public StructType transformSchema(StructType schema) {
    EmberOptions opts = emberOptions();
    opts.validate();
    new RowRequests(schema, opts); // the input column exists and is a string
    return opts.output().schema(schema, task().resultType());
  }

  @Override
  public Transformer copy(ParamMap extra) {
    return defaultCopy(extra);
  }
}
