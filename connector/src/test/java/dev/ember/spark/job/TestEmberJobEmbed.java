package dev.ember.spark.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.spark.SparkTestBase;

/** EmberJob --task embed: JSONL in, Parquet out (embedding as a list of floats), a null text as that row's error. */
class TestEmberJobEmbed extends SparkTestBase {
  @TempDir Path dir;

  @Test
  void embedJobWritesParquet() throws Exception {
    Path model = Paths.get("..", "engine", "src", "test", "resources", "fixtures", "embed", "bert-mean-norm", "model").toAbsolutePath().normalize();
    Path input = Files.writeString(dir.resolve("texts.jsonl"), """
        {"id": 1, "prompt": "the quick brown fox"}
        {"id": 2, "prompt": null}
        {"id": 3, "prompt": "search engines rank documents"}
        """);
    Path out = dir.resolve("emb.parquet");
    EmberJob.Summary s =
        EmberJob.run(
            spark,
            JobArgs.parse(
                "--task", "embed", "--model", model.toString(), "--input", input.toString(), "--output", out.toString(),
                "--output-format", "parquet", "--threads", "1"));
    assertEquals(3, s.rows());
    assertEquals(1, s.errors(), s.line());
    Dataset<Row> back = spark.read().parquet(out.toString()).select("id", "prompt", "ember.*");
    assertEquals(DataTypes.FloatType, ((ArrayType) back.schema().apply("embedding").dataType()).elementType());
    List<Row> rows = back.orderBy("id").collectAsList();
    try (Engine engine = Engine.open(model, EngineOptions.defaults().withThreads(1))) {
      for (Row r : rows) {
        if (r.isNullAt(r.fieldIndex("prompt"))) {
          assertNotNull(r.getAs("error"));
          continue;
        }
        assertNull(r.getAs("error"));
        List<Float> got = r.getList(r.fieldIndex("embedding"));
        float[] v = new float[got.size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = got.get(i);
        }
        assertArrayEquals(engine.embed(r.getAs("prompt")).embedding(), v, r.toString());
      }
    }
  }
}
