package dev.ember.spark.connect;

import static org.apache.spark.sql.functions.call_function;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.map;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.apache.spark.connect.proto.DataType;
import org.apache.spark.connect.proto.Expression;
import org.apache.spark.connect.proto.MlOperator;
import org.apache.spark.connect.proto.MlParams;
import org.apache.spark.connect.proto.Relation;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import scala.runtime.BoxedUnit;

/**
 * The user's side of {@link TestSparkConnect}: a Spark Connect JVM client, run in its own JVM
 * whose classpath is the client jar and its dependencies (no spark-sql, no Ember). Everything it
 * does is what a PySpark or Java Connect user can type: SQL and {@code format("ember")} with
 * options, and Ember's ML stages through Spark Connect ML (the relation PySpark's ML wrappers send);
 * no py4j, no Ember classes.
 *
 * <p>Args: connect URL, the shipped example model's path, the output file, then the prompts. It
 * writes one line per result row, {@code query id text error idType} (text and error Base64 of UTF-8,
 * "-" for null), and for each expected failure a line {@code failure name message}.
 */
public final class ConnectClientMain {
  private ConnectClientMain() {}

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String exampleModel = args[1];
    Path out = Path.of(args[2]);
    List<Row> prompts = new ArrayList<>();
    for (int i = 3; i < args.length; i++) {
      prompts.add(RowFactory.create(i - 2, args[i].equals("<null>") ? null : args[i]));
    }
    SparkSession spark = SparkSession.builder().remote(url).getOrCreate();
    try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out, StandardCharsets.UTF_8))) {
      // A DataFrame made on the client (sent to the server as a local relation), seen as a temp view.
      Dataset<Row> df = spark.createDataFrame(prompts, new StructType().add("id", DataTypes.IntegerType).add("prompt", DataTypes.StringType));
      df.createOrReplaceTempView("prompts");

      // SQL, the session's default model (spark.ember.model on the server), options in a literal map.
      emit(w, "sql_default", spark.sql(
          "SELECT id, ember_generate(prompt, map('max_tokens', '8')) AS r FROM prompts").select("id", "r.text", "r.error"));
      // SQL with the model as an argument: one query, two models.
      emit(w, "sql_model_arg", spark.sql(
          "SELECT id, ember_generate('" + exampleModel + "', prompt, map('max_tokens', '6')) AS r FROM prompts").select("id", "r.text", "r.error"));
      // The same function over a DataFrame, by name (functions.call_function; PySpark has the same).
      emit(w, "dataframe_call", df.select(col("id"),
          call_function("ember_generate", col("prompt"), map(lit("max_tokens"), lit("8"))).alias("r")).select("id", "r.text", "r.error"));
      // format("ember") over the temp view of the client's DataFrame.
      emit(w, "format_view", spark.read().format("ember").option("table", "prompts").option("maxTokens", "8").load()
          .select("id", "ember.text", "ember.error"));
      // The view replaced by other rows (a notebook cell run again): a new read sees the new rows.
      spark.createDataFrame(prompts.subList(0, 2), df.schema()).createOrReplaceTempView("prompts");
      emit(w, "format_view_replaced", spark.read().format("ember").option("table", "prompts").option("maxTokens", "8").load()
          .select("id", "ember.text", "ember.error"));
      df.createOrReplaceTempView("prompts");
      // format("ember") over a saved table, with another model and the results in a named struct.
      df.write().mode("overwrite").saveAsTable("prompt_table");
      emit(w, "format_table", spark.read().format("ember").option("table", "prompt_table").option("model", exampleModel)
          .option("maxTokens", "6").option("outputCol", "answer").load().select("id", "answer.text", "answer.error"));

      // Spark Connect ML: an Ember stage's transform, sent as the MlRelation a PySpark JavaTransformer sends
      // (the stage's class name, a uid, its params as literals); the server builds the stage through its
      // ServiceLoader registration and runs transform on its side.
      emit(w, "ml_generate", mlTransform(spark, "dev.ember.spark.ml.EmberGenerator", "emberGenerator_connect", df, Map.of(
              "model", string(exampleModel), "outputCol", string("answer"), "maxTokens", integer(6), "temperature", float32(0f),
              "options", strings("topK=40")))
          .select("id", "answer.text", "answer.error"));
      emit(w, "ml_classify", mlTransform(spark, "dev.ember.spark.ml.EmberClassifier", "emberClassifier_connect", df, Map.of(
              "model", string(exampleModel), "labels", strings("time", "banana")))
          .select("id", "ember.label", "ember.error"));
      failure(w, "ml_no_labels", () -> mlTransform(spark, "dev.ember.spark.ml.EmberClassifier", "emberClassifier_nolabels", df,
          Map.of("model", string(exampleModel))).collectAsList());

      // Mistakes reach the Connect client as one clear message.
      failure(w, "unknown_option", () -> spark.read().format("ember").option("table", "prompts").option("maxToken", "4").load().collectAsList());
      failure(w, "unknown_map_key", () -> spark.sql("SELECT ember_generate(prompt, map('maxTokens', '4')) FROM prompts").collectAsList());
    } finally {
      spark.stop();
    }
  }

  /**
   * {@code stage.transform(input)} on the server through Spark Connect ML: a relation whose
   * {@code ml_relation.transform} names the transformer by class and carries its params, built with
   * the client's public {@code newDataFrame} (a DeveloperApi) since the JVM client has no ML classes.
   */
  private static Dataset<Row> mlTransform(
      SparkSession spark, String stageClass, String uid, Dataset<Row> input, Map<String, Expression.Literal> params) {
    Relation in = ((org.apache.spark.sql.connect.Dataset<Row>) input).plan().getRoot();
    MlParams.Builder values = MlParams.newBuilder();
    params.forEach(values::putParams);
    return ((org.apache.spark.sql.connect.SparkSession) spark).newDataFrame(relation -> {
      relation.getMlRelationBuilder().getTransformBuilder()
          .setTransformer(MlOperator.newBuilder().setName(stageClass).setUid(uid).setType(MlOperator.OperatorType.OPERATOR_TYPE_TRANSFORMER))
          .setInput(in)
          .setParams(values);
      return BoxedUnit.UNIT;
    });
  }

  private static Expression.Literal string(String value) {
    return Expression.Literal.newBuilder().setString(value).build();
  }

  private static Expression.Literal integer(int value) {
    return Expression.Literal.newBuilder().setInteger(value).build();
  }

  private static Expression.Literal float32(float value) {
    return Expression.Literal.newBuilder().setFloat(value).build();
  }

  private static Expression.Literal strings(String... values) {
    Expression.Literal.Array.Builder array =
        Expression.Literal.Array.newBuilder().setElementType(DataType.newBuilder().setString(DataType.String.newBuilder()));
    for (String v : values) {
      array.addElements(string(v));
    }
    return Expression.Literal.newBuilder().setArray(array).build();
  }

  private static void emit(PrintWriter w, String query, Dataset<Row> rows) {
    for (Row r : rows.orderBy("id").collectAsList()) {
      // The id column is an INT everywhere, format("ember") included: the input's rows pass through with their types.
      w.println(query + "\t" + r.getInt(0) + "\t" + b64(r.getString(1)) + "\t" + b64(r.getString(2)) + "\t"
          + r.schema().apply(0).dataType().simpleString());
    }
  }

  private static void failure(PrintWriter w, String name, Runnable action) {
    try {
      action.run();
      w.println("failure\t" + name + "\t" + b64("no failure"));
    } catch (Exception e) {
      w.println("failure\t" + name + "\t" + b64(String.valueOf(e.getMessage())));
    }
  }

  private static String b64(String s) {
    return s == null ? "-" : Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
