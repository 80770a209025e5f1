package dev.ember.spark.sql;

import java.util.ArrayList;
import java.util.List;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.expressions.ApplyFunctionExpression;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.MapData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.MapType;

import dev.ember.spark.executor.SerializableConfiguration;
import dev.ember.spark.frame.EmberOptions;
import dev.ember.spark.frame.EngineTarget;
import dev.ember.spark.frame.ModelPreflight;
import dev.ember.spark.frame.OptionRegistry;
import dev.ember.spark.frame.Task;

import scala.Tuple3;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * {@code spark.sql.extensions=dev.ember.spark.sql.EmberSqlExtensions} registers, in every session:
 *
 * <ul>
 *   <li>{@code ember_generate([model,] prompt [, map(option, value)])}: the generate result struct;
 *   <li>{@code ember_score([model,] text)}: the score result struct;
 *   <li>{@code ember_classify([model,] text, array(label, ...))}: the classify result struct (plain labels);
 *   <li>{@code ember_tokens(text)}: the number of tokens of the text.
 * </ul>
 *
 * The model is a string literal, like {@code ai_query}'s endpoint, so one query can compare two
 * models; without it the session's {@code spark.ember.model} is used. Defaults come from the
 * session conf ({@code spark.ember.maxTokens}, ...); the map's snake_case keys override them
 * ({@code max_tokens}, {@code temperature}, ... see {@link OptionRegistry}). A literal map is checked
 * when the query is analysed: an unknown key fails there, naming the closest valid one.
 *
 * <p>The function objects are public DSv2 {@code ScalarFunction}s; only their wrapping in Catalyst's
 * {@code ApplyFunctionExpression} (the node Spark itself uses for catalog functions) touches an
 * internal class.
 */
public final class EmberSqlExtensions extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {
  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    register(extensions, "ember_generate", "ember_generate([model,] prompt [, map(option, value)]) - the model's completion", List.of(1, 2, 3));
    register(extensions, "ember_score", "ember_score([model,] text) - log-likelihood and perplexity of the text", List.of(1, 2));
    register(extensions, "ember_classify",
        "ember_classify([model,] text, array(label, ...)) - the most likely of the plain labels as the text's continuation", List.of(2, 3));
    register(extensions, "ember_embed", "ember_embed([model,] text) - the text's embedding (struct with embedding array<float>)", List.of(1, 2));
    register(extensions, "ember_tokens", "ember_tokens(text) - number of tokens of the text", List.of(1));
    extensions.injectOptimizerRule(new AbstractFunction1<SparkSession, org.apache.spark.sql.catalyst.rules.Rule<org.apache.spark.sql.catalyst.plans.logical.LogicalPlan>>() {
      @Override
      public org.apache.spark.sql.catalyst.rules.Rule<org.apache.spark.sql.catalyst.plans.logical.LogicalPlan> apply(SparkSession spark) {
        return new EmberBatchRule(spark);
      }
    });
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
            List<Expression> list = scala.jdk.javaapi.CollectionConverters.asJava(args);
            return new ApplyFunctionExpression(function(name, list), args);
          }
        };
    extensions.injectFunction(new Tuple3<>(new FunctionIdentifier(name), info, builder));
  }

  /** Built on the driver while a query is analysed: checks the model and literal options there, once. */
  static org.apache.spark.sql.connector.catalog.functions.ScalarFunction<?> function(String name, List<Expression> args) {
    SparkSession spark = SparkSession.active();
    int n = args.size();
    boolean generate = name.equals("ember_generate");
    // Argument layout: generate (prompt) | (prompt, map) | (model, prompt) | (model, prompt, map); score (text) | (model, text).
    // classify (text, labels) | (model, text, labels).
    boolean classify = name.equals("ember_classify");
    boolean hasModel = generate ? n == 3 || (n == 2 && !isMap(args.get(1)))
        : classify ? n == 3 : (name.equals("ember_score") || name.equals("ember_embed")) && n == 2;
    int promptArg = hasModel ? 1 : 0;
    int labelsArg = classify ? promptArg + 1 : -1;
    List<String> labels = classify ? labels(args.get(labelsArg)) : List.of();
    int mapArg = generate && (n == 3 || (n == 2 && !hasModel)) ? n - 1 : -1;
    String model = hasModel ? literal(name, args.get(0), "model") : spark.conf().get("spark.ember.model", null);
    if (model == null) {
      throw new IllegalArgumentException("Ember: " + name + " needs a model: pass it as the first argument or set spark.ember.model");
    }
    EmberOptions opts = EmberOptions.model(model);
    opts = OptionRegistry.applySingle(
        opts, OptionRegistry.fromSessionConf(scala.jdk.javaapi.CollectionConverters.asJava(spark.conf().getAll())),
        OptionRegistry.Spelling.API, "session conf key", OptionRegistry.API_SCOPES);
    opts = opts.withModel(model);
    int dynamicMap = -1;
    if (mapArg >= 0) {
      Expression map = args.get(mapArg);
      if (map.foldable()) {
        Object value = map.eval(null);
        if (value != null) {
          opts = OptionRegistry.applySingle(opts, TaskFunction.map((MapData) value), OptionRegistry.Spelling.SQL, "option", OptionRegistry.SQL_SCOPES);
        }
      } else {
        dynamicMap = mapArg;
      }
    }
    opts.validate();
    var hadoopConf = spark.sparkContext().hadoopConfiguration();
    ModelPreflight.check(model, hadoopConf);
    var broadcast = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(new SerializableConfiguration(hadoopConf));
    FunctionEngine engine = new FunctionEngine(EngineTarget.of(opts, broadcast));
    DataType[] types = new DataType[n];
    for (int i = 0; i < n; i++) {
      types[i] = i == mapArg ? DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType)
          : i == labelsArg ? DataTypes.createArrayType(DataTypes.StringType) : DataTypes.StringType;
    }
    return switch (name) {
      case "ember_generate" -> new TaskFunction(name, Task.generate(), engine, opts, types, promptArg, dynamicMap);
      case "ember_score" -> new TaskFunction(name, Task.score(), engine, opts, types, promptArg, -1);
      case "ember_classify" -> new TaskFunction(name, Task.classify(labels), engine, opts, types, promptArg, -1);
      case "ember_embed" -> new TaskFunction(name, Task.embed(), engine, opts, types, promptArg, -1);
      case "ember_tokens" -> new TokensFunction(engine);
      default -> throw new IllegalArgumentException("unknown function " + name);
    };
  }

  /** The labels of ember_classify: a literal array of strings, checked when the query is analysed. */
  private static List<String> labels(Expression e) {
    if (!e.foldable() || !(e.dataType() instanceof ArrayType t) || !t.elementType().equals(DataTypes.StringType)) {
      throw new IllegalArgumentException(
          "Ember: ember_classify: the labels must be a literal array of strings, e.g. array('positive', 'negative')");
    }
    ArrayData array = (ArrayData) e.eval(null);
    if (array == null) {
      throw new IllegalArgumentException("Ember: ember_classify: the labels must not be null");
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < array.numElements(); i++) {
      out.add(array.isNullAt(i) ? null : array.getUTF8String(i).toString());
    }
    return out; // Task.classify rejects null, empty and duplicate labels
  }

  private static boolean isMap(Expression e) {
    return e.resolved() ? e.dataType() instanceof MapType : e.prettyName().contains("map");
  }

  private static String literal(String function, Expression e, String what) {
    if (!e.foldable()) {
      throw new IllegalArgumentException("Ember: " + function + ": the " + what + " must be a string literal");
    }
    Object v = e.eval(null);
    if (v == null) {
      throw new IllegalArgumentException("Ember: " + function + ": the " + what + " must not be null");
    }
    return v.toString();
  }
}
