package dev.ember.spark.sql;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.spark.executor.ExecutorEngines;

/**
 * The embedding surfaces besides Ember.embed, on one local[2] session with the SQL extensions:
 * {@code ember_embed} in SQL (session model and literal model) on the sentence-transformers BERT,
 * and {@code format("ember")} with {@code task=embed} on the Qwen3-Embedding style decoder. Every
 * vector is the engine's own, bit for bit; a null text is that row's error.
 */
class TestEmberEmbedSql {
  private static SparkSession spark;

  static Path fixture(String name) {
    return Paths.get("..", "engine", "src", "test", "resources", "fixtures", "embed", name, "model").toAbsolutePath().normalize();
  }

  @BeforeAll
  static void start() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .config("spark.driver.host", InetAddress.getLoopbackAddress().getHostAddress())
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.extensions", EmberSqlExtensions.class.getName())
            .config("spark.ember.model", fixture("bert-mean-norm").toString())
            .config("spark.ember.threads", "1")
            .getOrCreate();
    spark.sql("SELECT * FROM VALUES (1, 'the quick brown fox'), (2, 'a'), (3, CAST(NULL AS STRING)) AS t(id, text)")
        .createOrReplaceTempView("texts");
  }

  @AfterAll
  static void stop() {
    spark.stop();
    ExecutorEngines.closeAll();
  }

  static float[] floats(List<Float> list) {
    float[] v = new float[list.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = list.get(i);
    }
    return v;
  }

  @Test
  void emberEmbedInSql() {
    String qwen = fixture("qwen3-last").toString().replace("'", "\\'");
    List<Row> rows =
        spark.sql("SELECT id, ember_embed(text) AS e, ember_embed('" + qwen + "', text) AS q FROM texts ORDER BY id").collectAsList();
    StructType e = (StructType) spark.sql("SELECT ember_embed(text) AS e FROM texts").schema().apply("e").dataType();
    assertEquals(DataTypes.FloatType, ((ArrayType) e.apply("embedding").dataType()).elementType());
    try (Engine bert = Engine.open(fixture("bert-mean-norm"), EngineOptions.defaults().withThreads(1));
        Engine decoder = Engine.open(fixture("qwen3-last"), EngineOptions.defaults().withThreads(1))) {
      String[] texts = {"the quick brown fox", "a"};
      for (int i = 0; i < 2; i++) {
        Row r = rows.get(i).getStruct(1);
        assertNull(r.getAs("error"));
        assertArrayEquals(bert.embed(texts[i]).embedding(), floats(r.getList(r.fieldIndex("embedding"))), texts[i]);
        assertEquals(bert.embed(texts[i]).tokens(), (int) r.getAs("tokens"));
        Row q = rows.get(i).getStruct(2);
        assertNull(q.getAs("error"));
        assertArrayEquals(decoder.embed(texts[i]).embedding(), floats(q.getList(q.fieldIndex("embedding"))), texts[i]);
      }
    }
    Row bad = rows.get(2).getStruct(1);
    assertNotNull(bad.getAs("error"));
    assertNull(bad.getAs("embedding"));
  }

  @Test
  void formatEmberTaskEmbed(@TempDir Path dir) throws Exception {
    Path input = Files.writeString(dir.resolve("texts.jsonl"), """
        {"id": 1, "prompt": "Instruct: Given a web search query, retrieve relevant passages that answer the query\\nQuery: what is spark?"}
        {"id": 2, "prompt": null}
        {"id": 3, "prompt": "spark runs batch jobs"}
        """);
    List<Row> rows =
        spark.read().format("ember").option("model", fixture("qwen3-last").toString()).option("task", "embed").option("threads", "1")
            .load(input.toString()).select("id", "prompt", "ember.*").orderBy("id").collectAsList();
    assertEquals(3, rows.size());
    try (Engine decoder = Engine.open(fixture("qwen3-last"), EngineOptions.defaults().withThreads(1))) {
      for (Row r : rows) {
        if (r.isNullAt(r.fieldIndex("prompt"))) {
          assertNotNull(r.getAs("error"), r.toString());
          continue;
        }
        assertNull(r.getAs("error"), r.toString());
        assertArrayEquals(decoder.embed(r.getAs("prompt")).embedding(), floats(r.getList(r.fieldIndex("embedding"))), r.toString());
      }
    }
  }
}
