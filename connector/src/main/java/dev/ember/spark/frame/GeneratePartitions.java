package dev.ember.spark.frame;

import java.util.Iterator;
import java.util.concurrent.CompletableFuture;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

import dev.ember.engine.api.Engine;
import dev.ember.spark.ResultColumns;
import dev.ember.spark.executor.EngineLease;

/** generate, one partition at a time, on the executor's shared engine. */
final class GeneratePartitions implements MapPartitionsFunction<Row, Row> {
  private final EngineTarget target;
  private final RowRequests requests;
  private final int window;

  GeneratePartitions(EngineTarget target, RowRequests requests, int window) {
    this.target = target;
    this.requests = requests;
    this.window = window;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    EngineLease lease = target.acquire();
    Engine engine = lease.engine();
    String partition = TaskContext.get() == null ? "0" : Integer.toString(TaskContext.getPartitionId());
    long[] next = {0};
    OrderedPipeline<Row, Row> pipeline =
        new OrderedPipeline<>(
            rows,
            window,
            row -> {
              RowRequests.Prepared prepared = requests.prepare(row, partition + "-" + next[0]++, engine);
              if (prepared.error() != null) {
                return CompletableFuture.completedFuture(
                    OutputRows.append(row, ResultColumns.generateError(prepared.error(), 0)));
              }
              return engine
                  .submit(prepared.request())
                  .handle(
                      (result, failure) ->
                          OutputRows.append(
                              row,
                              failure == null
                                  ? ResultColumns.generate(result)
                                  : ResultColumns.generateError(OutputRows.describe(failure), 0)));
            });
    return OutputRows.releasingAtEnd(pipeline, lease);
  }
}
