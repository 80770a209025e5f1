package dev.ember.spark.sql;

import java.io.Serializable;

import org.apache.spark.TaskContext;
import org.apache.spark.util.TaskCompletionListener;

import dev.ember.engine.api.Engine;
import dev.ember.spark.executor.EngineLease;
import dev.ember.spark.frame.EngineTarget;

/**
 * The engine behind a SQL function. Each task deserializes its own copy of the expression, so
 * the lease is per copy and per task: taken on the first row and returned when the task ends.
 */
final class FunctionEngine implements Serializable {
  private final EngineTarget target;
  private transient EngineLease lease;
  private transient long leaseTask = -1;

  FunctionEngine(EngineTarget target) {
    this.target = target;
  }

  Engine engine() {
    TaskContext task = TaskContext.get();
    long attempt = task == null ? -2 : task.taskAttemptId();
    if (lease == null || leaseTask != attempt) {
      EngineLease fresh = target.acquire(); // registers its own release at task completion
      if (task == null) {
        // Outside a task (constant folding on the driver): return the hold at once.
        try (fresh) {
          lease = fresh;
          leaseTask = attempt;
          return fresh.engine();
        } finally {
          lease = null;
        }
      }
      lease = fresh;
      leaseTask = attempt;
      task.addTaskCompletionListener((TaskCompletionListener) ctx -> lease = null);
    }
    return lease.engine();
  }
}
