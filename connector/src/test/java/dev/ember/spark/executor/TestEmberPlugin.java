package dev.ember.spark.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import dev.ember.spark.SparkTestBase;
import dev.ember.spark.frame.Ember;
import dev.ember.spark.frame.EmberOptions;

/** spark.plugins preloading: the executor opens the model at start and jobs reuse that engine. */
class TestEmberPlugin {

  @Test
  void executorStartOpensTheEngineAndJobsReuseIt() {
    String model = SparkTestBase.storiesModel().toString();
    SparkSession spark =
        SparkSession.builder()
            .master("local[2]")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.plugins", EmberPlugin.class.getName())
            .config("spark.ember.preload.model", model)
            .config("spark.ember.preload.threads", "1")
            .getOrCreate();
    try {
      assertEquals(1, ExecutorEngines.openEngines(), "opened while the executor started");
      StructType schema = new StructType().add("prompt", DataTypes.StringType);
      List<Row> rows =
          Ember.generate(
                  spark.createDataFrame(List.of(RowFactory.create("Once upon a time")), schema),
                  EmberOptions.model(model).withThreads(1).withMaxTokens(4))
              .select("ember.*")
              .collectAsList();
      assertNull(rows.get(0).getAs("error"));
      assertEquals(1, ExecutorEngines.openEngines(), "the job used the preloaded engine");
    } finally {
      spark.stop();
      ExecutorEngines.closeAll();
    }
  }
}
