package dev.ember.spark.frame;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.spark.SparkTestBase;

/**
 * Ember.embed on a real local SparkSession: 1,000 rows (every 100th a null text) written to
 * Parquet and read back; every good row's vector equals the engine's own, bit for bit, and the bad
 * rows carry errors. The model is the tiny sentence-transformers BERT of the engine's fixtures.
 */
class TestEmberEmbed extends SparkTestBase {
  static final String[] WORDS = "the quick brown fox jumps over lazy dog search engine rank documents spark batch job table text vector".split(" ");

  static Path model() {
    return Paths.get("..", "engine", "src", "test", "resources", "fixtures", "embed", "bert-mean-norm", "model").toAbsolutePath().normalize();
  }

  static String text(int i) {
    StringBuilder b = new StringBuilder();
    for (int w = 0; w < 3 + i % 7; w++) {
      b.append(b.isEmpty() ? "" : " ").append(WORDS[(i * 7 + w * 3) % WORDS.length]);
    }
    return b.toString();
  }

  @Test
  void thousandRowsToParquetMatchTheEngine(@TempDir Path tmp) {
    StructType schema = new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType);
    List<Row> input = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      input.add(RowFactory.create(i, i % 100 == 42 ? null : text(i)));
    }
    Dataset<Row> df = spark.createDataFrame(input, schema).repartition(2);
    EmberOptions options = EmberOptions.model(model().toString()).withPromptColumn("text").withThreads(1);
    String out = tmp.resolve("embeddings.parquet").toString();
    Ember.embed(df, options).select("id", "text", "ember.*").write().parquet(out);

    Dataset<Row> back = spark.read().parquet(out);
    ArrayType type = (ArrayType) back.schema().apply("embedding").dataType();
    assertEquals(DataTypes.FloatType, type.elementType());
    List<Row> rows = back.orderBy("id").collectAsList();
    assertEquals(1000, rows.size());
    int errors = 0;
    try (Engine engine = Engine.open(model(), EngineOptions.defaults().withThreads(1))) {
      for (Row r : rows) {
        int id = r.getAs("id");
        if (id % 100 == 42) {
          errors++;
          assertNotNull(r.getAs("error"), "row " + id);
          assertNull(r.getAs("embedding"), "row " + id);
          continue;
        }
        assertNull(r.getAs("error"), "row " + id);
        List<Float> got = r.getList(r.fieldIndex("embedding"));
        float[] v = new float[got.size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = got.get(i);
        }
        var expected = engine.embed(text(id));
        assertArrayEquals(expected.embedding(), v, "row " + id);
        assertEquals(expected.tokens(), (int) r.getAs("tokens"), "row " + id);
      }
    }
    assertEquals(10, errors);
  }
}
