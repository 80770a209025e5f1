package dev.ember.spark.frame;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;

import dev.ember.engine.api.Engine;

/**
 * The one per-row pipeline behind every surface ({@code Ember.*}, the ML stages, the job,
 * {@code format("ember")} and the SQL functions): each input becomes a Row, the Row a request
 * ({@link RowRequests}: prompt or chat template, per-row options), the request a result on the
 * executor's shared engine ({@link Task}), with up to {@code window} requests in flight and
 * outputs in input order ({@link OrderedPipeline}). A row that cannot run gets its task's error
 * values; with {@code failOnError} the first such row fails the task, naming its key. Each
 * finished row is counted into {@code metrics}.
 *
 * <p>Surfaces differ only in what an input is ({@code I}) and what they do with an
 * {@link Outcome}: append a struct to a Row, write Arrow vectors, or fill an InternalRow.
 */
public final class RowPipeline {
  private RowPipeline() {}

  /** An input and its result values (the fields of {@link Task#resultType()}). */
  public record Outcome<I>(I input, Object[] results) {}

  /** Raised by failOnError: the task fails at once, with the row's key and the reason. */
  public static final class RowFailure extends RuntimeException {
    RowFailure(String message) {
      super(message);
    }
  }

  public static <I> Iterator<Outcome<I>> run(
      Iterator<I> input,
      Function<I, Row> asRow,
      Engine engine,
      RowRequests requests,
      Task task,
      int window,
      ErrorPolicy policy,
      Consumer<Task.RowCounts> metrics) {
    TaskContext context = TaskContext.get();
    String partition = context == null ? "0" : Integer.toString(TaskContext.getPartitionId());
    int errorField = task.resultType().fieldIndex("error");
    long[] started = {0};
    int inFlight = task.asynchronous() ? window : 1;
    OrderedPipeline<I, Outcome<I>> pipeline =
        new OrderedPipeline<>(
            input,
            inFlight,
            in -> {
              long index = started[0]++;
              Row row = asRow.apply(in);
              RowRequests.Prepared prepared = requests.prepare(row, partition + "-" + index, engine);
              if (prepared.error() != null) {
                return CompletableFuture.completedFuture(new Outcome<>(in, task.error(prepared.error(), 0)));
              }
              CompletableFuture<Object[]> work;
              try {
                work = task.start(engine, prepared.request());
              } catch (RuntimeException e) {
                work = CompletableFuture.failedFuture(e);
              }
              return Futures.handle(
                  work, (results, failure) -> new Outcome<>(in, failure == null ? results : task.error(OutputRows.describe(failure), 0)));
            },
            context == null ? () -> {} : context::killTaskIfInterrupted);
    if (context != null && inFlight > 1) {
      // A task that ends before its rows are all consumed (killed, failed downstream, or a
      // limit() that stopped reading) leaves up to a window of requests in the shared engine;
      // cancelling them frees their sequences and blocks for the other tasks. (A window of one,
      // as the SQL functions' row-at-a-time path runs per row, leaves nothing behind.)
      context.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) c -> pipeline.cancel());
    }
    return new Iterator<>() {
      private long done;

      @Override
      public boolean hasNext() {
        return pipeline.hasNext();
      }

      @Override
      public Outcome<I> next() {
        if (!pipeline.hasNext()) {
          throw new NoSuchElementException();
        }
        Outcome<I> out = pipeline.next();
        long index = done++;
        metrics.accept(task.counts(out.results()));
        Object error = out.results()[errorField];
        if (error != null && policy.failOnError()) {
          pipeline.cancel();
          String key = requests.key(asRow.apply(out.input()));
          throw new RowFailure(
              "Ember: row " + (key != null ? "with id " + key : index + " of partition " + partition) + " failed: " + error
                  + " (failOnError is set)");
        }
        return out;
      }
    };
  }
}
