package dev.ember.spark.job;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import dev.ember.spark.frame.EmberOptions;
import dev.ember.spark.frame.InternalColumns;
import dev.ember.spark.frame.MalformedLines;

/**
 * The job's JSON-lines reader. Spark's own reader fails the whole job on one line with a duplicate
 * key, coerces {@code "prompt": {"nested": 1}} to the string {@code {"nested":1}}, and turns a
 * malformed line into a row whose prompt is null. Here every non-blank line is checked by
 * {@link MalformedLines} first; the schema is inferred from the good lines only; a bad line
 * becomes a row of nulls whose {@value MalformedLines#COLUMN} holds the raw line (the column is
 * there only when some line is bad), which the pipeline turns into an error row saying why. One
 * line in, one row out.
 */
final class JsonLinesInput {
  private JsonLinesInput() {}

  static Dataset<Row> read(SparkSession spark, String path, EmberOptions opts) {
    List<String> textFields = new ArrayList<>();
    for (String c : new String[] {opts.promptColumn(), opts.chat().system(), opts.chat().user()}) {
      if (c != null) {
        textFields.add(c);
      }
    }
    List<String> fields = List.copyOf(textFields);
    UserDefinedFunction check = udf((UDF1<String, String>) line -> MalformedLines.problem(line, fields), DataTypes.StringType);
    Dataset<Row> lines = spark.read().text(path).filter(trim(col("value")).notEqual("")); // Spark's JSON reader skips blank lines too
    Column problem = check.apply(col("value"));
    Dataset<String> good = lines.filter(problem.isNull()).select("value").as(Encoders.STRING());
    StructType schema = spark.read().json(good).schema();
    boolean anyBad = !lines.filter(problem.isNotNull()).isEmpty();
    String parsed = InternalColumns.fresh(schema, "__ember_parsed");
    List<Column> out = new ArrayList<>();
    for (String name : schema.fieldNames()) {
      out.add(col(parsed).getField(name).as(name));
    }
    if (anyBad && schema.isEmpty() && opts.promptColumn() != null) {
      // Every line is bad: keep the prompt column, so each line is an error row and not a missing column.
      out.add(lit(null).cast(DataTypes.StringType).as(opts.promptColumn()));
    }
    if (anyBad && !List.of(schema.fieldNames()).contains(MalformedLines.COLUMN)) {
      out.add(when(problem.isNotNull(), col("value")).otherwise(lit(null).cast(DataTypes.StringType)).as(MalformedLines.COLUMN));
    }
    if (schema.isEmpty() && !anyBad) {
      return spark.createDataFrame(List.<Row>of(), schema); // no line at all: the job reports an empty input
    }
    return lines
        .select(col("value"), from_json(when(problem.isNull(), col("value")), schema).as(parsed))
        .select(out.toArray(new Column[0]));
  }
}
