package dev.ember.spark.frame;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

/**
 * Turns a partition's rows into outputs in input order while keeping up to {@code window}
 * requests queued in the shared engine, so the engine's batch stays full (and can mix this task's
 * requests with other tasks') while Spark consumes the outputs one at a time. Rows are pulled
 * lazily, so a partition never sits in memory as a whole.
 */
public final class OrderedPipeline<I, O> implements Iterator<O> {
  private final Iterator<I> input;
  private final int window;
  private final Function<I, CompletableFuture<O>> start;
  private final ArrayDeque<CompletableFuture<O>> inFlight = new ArrayDeque<>();

  public OrderedPipeline(Iterator<I> input, int window, Function<I, CompletableFuture<O>> start) {
    this.input = input;
    this.window = Math.max(1, window);
    this.start = start;
  }

  @Override
  public boolean hasNext() {
    fill();
    return !inFlight.isEmpty();
  }

  @Override
  public O next() {
    fill();
    CompletableFuture<O> head = inFlight.poll();
    if (head == null) {
      throw new NoSuchElementException();
    }
    O out = await(head);
    fill(); // queue the next request before Spark spends time on this output
    return out;
  }

  private void fill() {
    while (inFlight.size() < window && input.hasNext()) {
      inFlight.add(start.apply(input.next()));
    }
  }

  /** Waits interruptibly: Spark kills a task by interrupting it, which join() would ignore. */
  private O await(CompletableFuture<O> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      cancel();
      Thread.currentThread().interrupt();
      throw new CancellationException("task interrupted while waiting for the engine");
    } catch (ExecutionException e) {
      // Per-row failures are turned into error rows before this point; what reaches here is an
      // engine failure that should fail the task (and let Spark retry it).
      cancel();
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(cause);
    }
  }

  /** Drops the queued requests, e.g. when the task is killed. */
  public void cancel() {
    inFlight.forEach(f -> f.cancel(true));
    inFlight.clear();
  }
}
