package dev.ember.spark.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import dev.ember.spark.SparkTestBase;

/**
 * Issue 16 items 13 and 3: identical prompts sampled at temperature 1 draw different samples
 * (each row's seed is derived from the job's seed and the row's id or position) while a rerun
 * draws the same ones; and an input column with the name of one of Ember's internal columns is
 * kept, values and all; and the parseSpecial option turns control-token parsing on for data text
 * (off by default, issue 16 items 5 and 14).
 */
class TestRowSeeds extends SparkTestBase {
  private static final int ROWS = 8;

  private static Dataset<Row> copies(String extraColumn) {
    StructType schema = new StructType().add("id", DataTypes.LongType).add("prompt", DataTypes.StringType).add(extraColumn, DataTypes.StringType);
    List<Row> rows = new ArrayList<>();
    for (long i = 0; i < ROWS; i++) {
      rows.add(RowFactory.create(i, "Once upon a time", "mine-" + i));
    }
    // One partition, fewer than the session's cores: Ember spreads it over an internal row-order column.
    return spark.createDataFrame(rows, schema).coalesce(1);
  }

  private static EmberOptions sampling() {
    return EmberOptions.model(storiesModel().toString()).withThreads(1).withMaxTokens(8).withTemperature(1.0f).withSeed(7);
  }

  private static Map<Long, String> texts(Dataset<Row> out) {
    Map<Long, String> byId = new TreeMap<>();
    for (Row r : out.select("id", "ember.text", "ember.error").collectAsList()) {
      assertEquals(null, r.get(2), r.toString());
      byId.put(r.getLong(0), r.getString(1));
    }
    return byId;
  }

  @Test
  void identicalPromptsGetDifferentSamplesAndARerunTheSameOnes() {
    Map<Long, String> first = texts(Ember.generate(copies("extra"), sampling()));
    assertEquals(ROWS, first.size());
    long distinct = first.values().stream().distinct().count();
    assertTrue(distinct > ROWS / 2, "8 copies of a prompt at temperature 1 must not all sample alike: " + first);
    assertEquals(first, texts(Ember.generate(copies("extra"), sampling())), "a rerun (or a retried task) draws the same samples");
    assertTrue(
        !first.equals(texts(Ember.generate(copies("extra"), sampling().withSeed(8)))), "another job seed, other samples");
  }

  @Test
  void withAnIdColumnTheSeedFollowsTheRowNotItsPlace() {
    EmberOptions opts = sampling().withIdColumn("id");
    Map<Long, String> ordered = texts(Ember.generate(copies("extra"), opts));
    Dataset<Row> shuffled = copies("extra").orderBy(org.apache.spark.sql.functions.col("id").desc()).repartition(2);
    assertEquals(ordered, texts(Ember.generate(shuffled, opts)));
    assertTrue(ordered.values().stream().distinct().count() > ROWS / 2, ordered.toString());
  }

  @Test
  void anInputColumnNamedLikeAnInternalOneIsKept() {
    Dataset<Row> out = Ember.generate(copies("__ember_row_order"), sampling().withTemperature(0f).withMaxTokens(2));
    assertTrue(List.of(out.columns()).contains("__ember_row_order"), List.of(out.columns()).toString());
    List<String> kept = out.orderBy("id").select("__ember_row_order").collectAsList().stream().map(r -> r.getString(0)).toList();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      expected.add("mine-" + i);
    }
    assertEquals(expected, kept);
  }

  @Test
  void parseSpecialTurnsControlTokenParsingOnForDataText() {
    StructType schema = new StructType().add("id", DataTypes.LongType).add("prompt", DataTypes.StringType);
    Dataset<Row> df = spark.createDataFrame(List.of(RowFactory.create(1L, "Once upon a time</s>")), schema);
    EmberOptions opts = EmberOptions.model(storiesModel().toString()).withThreads(1).withMaxTokens(1);
    long plain = promptTokens(Ember.generate(df, opts));
    long parsed = promptTokens(Ember.generate(df, opts.with("parseSpecial", "true")));
    assertTrue(parsed < plain, "</s> is one control token with parseSpecial (" + parsed + "), several text tokens without (" + plain + ")");
    assertEquals(parsed, promptTokens(Ember.generate(spark.createDataFrame(List.of(RowFactory.create(1L, "Once upon a time")), schema), opts)) + 1);
  }

  private static long promptTokens(Dataset<Row> out) {
    Row r = out.select("ember.prompt_tokens", "ember.error").first();
    assertEquals(null, r.get(1), r.toString());
    return ((Number) r.get(0)).longValue();
  }
}
