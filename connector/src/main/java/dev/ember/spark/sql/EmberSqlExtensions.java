package dev.ember.spark.sql;

import java.util.List;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.expressions.ApplyFunctionExpression;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;

import dev.ember.spark.executor.SerializableConfiguration;
import dev.ember.spark.frame.EmberOptions;
import dev.ember.spark.frame.EngineTarget;
import dev.ember.spark.frame.ModelPreflight;

import scala.Tuple3;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * {@code spark.sql.extensions=dev.ember.spark.sql.EmberSqlExtensions} registers
 * {@code ember_generate(prompt [, options map])}, {@code ember_score(text)} and
 * {@code ember_tokens(text)} in every session. The model and defaults come from the session
 * conf when a query is analysed: {@code spark.ember.model} (required), {@code spark.ember.maxTokens},
 * {@code spark.ember.temperature}, {@code spark.ember.threads}, {@code spark.ember.maxSequences}.
 *
 * <p>Cost: these are row-at-a-time functions; each row waits for its own result, so an engine
 * batches at most one request per running task. For large jobs use {@code Ember.generate} or
 * {@code format("ember")}, which keep many requests of each task in flight.
 *
 * <p>The functions are public DSv2 {@link ScalarFunction}s; only their wrapping into a Catalyst
 * {@code ApplyFunctionExpression} (the node Spark itself uses for catalog functions) touches an
 * internal class.
 */
public final class EmberSqlExtensions extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {
  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    register(extensions, "ember_generate", "ember_generate(prompt [, map(option, value)]) - the model's completion", List.of(1, 2));
    register(extensions, "ember_score", "ember_score(text) - log-likelihood and perplexity of the text", List.of(1));
    register(extensions, "ember_tokens", "ember_tokens(text) - number of tokens of the text", List.of(1));
    return BoxedUnit.UNIT;
  }

  private static void register(SparkSessionExtensions extensions, String name, String usage, List<Integer> arities) {
    ExpressionInfo info = new ExpressionInfo(EmberSqlExtensions.class.getName(), null, name, usage, "", "", "", "", "", "", "");
    AbstractFunction1<scala.collection.immutable.Seq<Expression>, Expression> builder =
        new AbstractFunction1<>() {
          @Override
          public Expression apply(scala.collection.immutable.Seq<Expression> args) {
            if (!arities.contains(args.size())) {
              throw new IllegalArgumentException(name + " takes " + arities + " arguments, got " + args.size());
            }
            return new ApplyFunctionExpression(function(name, args.size()), args);
          }
        };
    extensions.injectFunction(new Tuple3<>(new FunctionIdentifier(name), info, builder));
  }

  /** Built on the driver while a query is analysed: checks the model there, once. */
  static ScalarFunction<?> function(String name, int arity) {
    SparkSession spark = SparkSession.active();
    RuntimeConfig conf = spark.conf();
    String model = conf.get("spark.ember.model", null);
    if (model == null) {
      throw new IllegalArgumentException("Ember: set spark.ember.model to use " + name);
    }
    EmberOptions opts = EmberOptions.model(model);
    opts = opts.withMaxTokens(Integer.parseInt(conf.get("spark.ember.maxTokens", "128")));
    opts = opts.withTemperature(Float.parseFloat(conf.get("spark.ember.temperature", "0")));
    opts = opts.withThreads(Integer.parseInt(conf.get("spark.ember.threads", "0")));
    opts = opts.withMaxSequences(Integer.parseInt(conf.get("spark.ember.maxSequences", Integer.toString(opts.engine().maxSequences()))));
    opts.validate();
    var hadoopConf = spark.sparkContext().hadoopConfiguration();
    ModelPreflight.check(model, hadoopConf);
    var broadcast = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(new SerializableConfiguration(hadoopConf));
    FunctionEngine engine = new FunctionEngine(EngineTarget.of(opts, broadcast));
    return switch (name) {
      case "ember_generate" -> new GenerateFunction(engine, opts.sampling(), arity == 2);
      case "ember_score" -> new ScoreFunction(engine);
      case "ember_tokens" -> new TokensFunction(engine);
      default -> throw new IllegalArgumentException("unknown function " + name);
    };
  }
}
