package dev.ember.spark.frame;

import java.io.Serializable;

import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.TaskCompletionListener;

import dev.ember.spark.executor.EngineKey;
import dev.ember.spark.executor.EngineLease;
import dev.ember.spark.executor.EngineSettings;
import dev.ember.spark.executor.ExecutorCores;
import dev.ember.spark.executor.ExecutorEngines;
import dev.ember.spark.executor.SerializableConfiguration;

/**
 * What a task needs to reach its executor's shared engine: the model, the engine settings and the
 * driver's Hadoop configuration (broadcast once rather than shipped with every task).
 */
public record EngineTarget(String model, String modelSha256, EngineSettings settings, Broadcast<SerializableConfiguration> hadoopConf)
    implements Serializable {

  public static EngineTarget of(EmberOptions options, Broadcast<SerializableConfiguration> hadoopConf) {
    return new EngineTarget(options.model(), options.modelSha256(), options.engine(), hadoopConf);
  }

  /**
   * A lease on the executor's engine for this model, returned when the task completes (whether it
   * succeeds, fails or is killed), so a failed task cannot pin the engine open.
   */
  public EngineLease acquire() {
    EngineKey key = new EngineKey(model, modelSha256, settings.toEngineOptions(ExecutorCores.engineThreads()));
    EngineLease lease = ExecutorEngines.acquire(key, () -> hadoopConf.value().get());
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.addTaskCompletionListener((TaskCompletionListener) context -> lease.close());
    }
    return lease;
  }
}
