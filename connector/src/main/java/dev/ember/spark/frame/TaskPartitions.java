package dev.ember.spark.frame;

import java.util.Iterator;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import dev.ember.spark.executor.EngineLease;

/** A task over one partition of a Dataset, on the executor's shared engine: the DataFrame surface of {@link RowPipeline}. */
final class TaskPartitions implements MapPartitionsFunction<Row, Row> {
  private final EngineTarget target;
  private final RowRequests requests;
  private final Task task;
  private final int window;
  private final ErrorPolicy policy;
  private final OutputLayout layout;
  private final EmberAccumulators metrics;

  TaskPartitions(EngineTarget target, RowRequests requests, Task task, int window, ErrorPolicy policy, OutputLayout layout, EmberAccumulators metrics) {
    this.target = target;
    this.requests = requests;
    this.task = task;
    this.window = window;
    this.policy = policy;
    this.layout = layout;
    this.metrics = metrics;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    EngineLease lease = target.acquire();
    Iterator<RowPipeline.Outcome<Row>> outcomes =
        RowPipeline.run(rows, r -> r, lease.engine(), requests, task, window, policy, metrics);
    Iterator<Row> out =
        new Iterator<>() {
          @Override
          public boolean hasNext() {
            return outcomes.hasNext();
          }

          @Override
          public Row next() {
            RowPipeline.Outcome<Row> o = outcomes.next();
            Row in = o.input();
            Object[] values = new Object[in.size()];
            for (int i = 0; i < values.length; i++) {
              values[i] = in.get(i);
            }
            return RowFactory.create(layout.values(values, o.results()));
          }
        };
    return OutputRows.releasingAtEnd(out, lease);
  }
}
