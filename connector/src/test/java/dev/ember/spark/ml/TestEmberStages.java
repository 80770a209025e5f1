package dev.ember.spark.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.SamplingParams;
import dev.ember.spark.ResultColumns;
import dev.ember.spark.SparkTestBase;

/** Ember's Spark ML stages in a real Pipeline on local[2]: transform, save, load, transform again. */
class TestEmberStages extends SparkTestBase {
  @TempDir Path dir;

  private static Dataset<Row> questions() {
    StructType schema = new StructType().add("id", DataTypes.IntegerType).add("question", DataTypes.StringType).add("text", DataTypes.StringType);
    return spark.createDataFrame(
        List.of(RowFactory.create(1, "Once upon a", "a"), RowFactory.create(2, "The little dog", "b")), schema);
  }

  @Test
  void everyStageIsATransformerServiceThatSparkConnectMlCanBuild() throws Exception {
    // What a Connect server does with ml_relation.transform: find the class among the Transformer
    // services (by name, without instantiating), then call its (String uid) constructor.
    Map<String, Class<?>> services = new java.util.TreeMap<>();
    java.util.ServiceLoader.load(org.apache.spark.ml.Transformer.class).stream()
        .filter(p -> p.type().getPackageName().equals(EmberStage.class.getPackageName()))
        .forEach(p -> services.put(p.type().getName(), p.type()));
    List<Class<? extends EmberStage>> stages = List.of(EmberClassifier.class, EmberEmbedder.class, EmberGenerator.class, EmberScorer.class);
    assertEquals(stages.stream().map(Class::getName).toList(), List.copyOf(services.keySet()), "each concrete stage is listed once");
    for (Class<?> type : services.values()) {
      EmberStage stage = (EmberStage) type.getConstructor(String.class).newInstance("uid_" + type.getSimpleName());
      assertEquals("uid_" + type.getSimpleName(), stage.uid());
      assertTrue(stage.hasParam("model") && stage.hasParam("options"), type.getName());
    }
  }

  @Test
  void aPipelineWithEmberStagesSavesAndLoads() throws Exception {
    String model = storiesModel().toString();
    EmberStage generator = new EmberGenerator().setModel(model).setInputCol("question").setOutputCol("answer").setMaxTokens(6)
        .setOptions(Map.of("threads", "1"));
    EmberStage classifier = new EmberClassifier().setLabels("time", "banana").setModel(model).setInputCol("question")
        .setOutputCol("kind").setOptions(Map.of("threads", "1"));
    EmberStage scorer = new EmberScorer().setModel(model).setInputCol("question").setOutputCol("score").setOptions(Map.of("threads", "1"));
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {generator, classifier, scorer});
    PipelineModel fitted = pipeline.fit(questions());

    StructType schema = fitted.transformSchema(questions().schema());
    assertEquals(List.of("id", "question", "text", "answer", "kind", "score"), List.of(schema.fieldNames()));
    assertEquals(ResultColumns.GENERATE, schema.apply("answer").dataType());

    List<Row> before = fitted.transform(questions()).select("id", "answer.text", "kind.label", "score.perplexity").orderBy("id").collectAsList();
    Path saved = dir.resolve("pipeline");
    fitted.write().overwrite().save(saved.toString());
    PipelineModel loaded = PipelineModel.load(saved.toString());
    assertInstanceOf(EmberGenerator.class, loaded.stages()[0]);
    EmberClassifier loadedClassifier = assertInstanceOf(EmberClassifier.class, loaded.stages()[1]);
    assertEquals(List.of("time", "banana"), List.of(loadedClassifier.getOrDefault(loadedClassifier.labels())));
    assertEquals(6, ((EmberGenerator) loaded.stages()[0]).emberOptions().sampling().maxTokens());
    List<Row> after = loaded.transform(questions()).select("id", "answer.text", "kind.label", "score.perplexity").orderBy("id").collectAsList();
    assertEquals(before, after, "the loaded pipeline gives the same rows");

    try (Engine engine = Engine.open(storiesModel(), EngineOptions.defaults().withThreads(1))) {
      assertEquals(engine.submit(Request.ofText("x", "Once upon a", SamplingParams.greedy(6))).join().text(), after.get(0).getString(1));
    }
    assertEquals("time", after.get(0).getString(2));
    assertTrue(after.get(0).getDouble(3) > 1);
  }

  @Test
  void anEmbedderStageSavesLoadsAndEmbedsAsTheEngine() throws Exception {
    // the tiny sentence-transformers BERT of the engine's fixtures
    Path model = java.nio.file.Paths.get("..", "engine", "src", "test", "resources", "fixtures", "embed", "bert-mean-norm", "model")
        .toAbsolutePath().normalize();
    EmberStage embedder = new EmberEmbedder().setModel(model.toString()).setInputCol("question").setOutputCol("vec")
        .setOptions(Map.of("threads", "1"));
    PipelineModel fitted = new Pipeline().setStages(new PipelineStage[] {embedder}).fit(questions());
    Path saved = dir.resolve("embedder");
    fitted.write().overwrite().save(saved.toString());
    PipelineModel loaded = PipelineModel.load(saved.toString());
    assertInstanceOf(EmberEmbedder.class, loaded.stages()[0]);
    List<Row> rows = loaded.transform(questions()).select("id", "question", "vec.embedding", "vec.error").orderBy("id").collectAsList();
    try (Engine engine = Engine.open(model, EngineOptions.defaults().withThreads(1))) {
      for (Row r : rows) {
        assertEquals(null, r.get(3), "no error");
        List<Float> got = r.getList(2);
        float[] expected = engine.embed(r.getString(1)).embedding();
        assertEquals(expected.length, got.size());
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], got.get(i), "row " + r.getInt(0) + " element " + i);
      }
    }
  }

  @Test
  void badParamsFailAtOnce() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new EmberGenerator().setOptions(Map.of("maxToken", "3")));
    assertTrue(e.getMessage().contains("did you mean 'maxTokens'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new EmberGenerator().setModel(storiesModel().toString()).setInputCol("nope").transformSchema(questions().schema()));
    assertTrue(e.getMessage().contains("prompt column 'nope' is not in the input"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new EmberClassifier().setLabels("a", "a"));
    assertTrue(e.getMessage().contains("duplicate label"), e.getMessage());
  }
}
