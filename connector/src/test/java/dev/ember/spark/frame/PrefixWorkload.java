package dev.ember.spark.frame;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** A workload with 10 distinct system prompts × 30 user turns, shuffled, for prefix-cache tests. */
public final class PrefixWorkload {
  public static final int SYSTEMS = 10;
  public static final int USERS = 30;

  private PrefixWorkload() {}

  public static Dataset<Row> rows(SparkSession spark, int partitions) {
    String[] names = {"Lily", "Tom", "Sue", "Ben", "Max", "Mia", "Sam", "Amy", "Tim", "Zoe"};
    List<Row> rows = new ArrayList<>();
    for (int s = 0; s < SYSTEMS; s++) {
      String system =
          "You are a storyteller for " + names[s] + ". " + names[s] + " is a little child who loves the park, the sun,"
              + " the big tree and the red ball. Always tell a short, kind story about " + names[s] + ".\n";
      for (int u = 0; u < USERS; u++) {
        rows.add(RowFactory.create((long) (s * USERS + u), system, system + "Story " + u + ": Once upon a time"));
      }
    }
    Collections.shuffle(rows, new Random(42));
    StructType schema =
        new StructType().add("id", DataTypes.LongType).add("system", DataTypes.StringType).add("prompt", DataTypes.StringType);
    var rdd = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, partitions);
    return spark.createDataFrame(rdd, schema);
  }

  /** cached prompt tokens / prompt tokens over the output. */
  public static double hitRate(Dataset<Row> out) {
    Row totals = out.agg(sum(col("ember.cached_prompt_tokens")), sum(col("ember.prompt_tokens"))).first();
    return (double) totals.getLong(0) / totals.getLong(1);
  }
}
