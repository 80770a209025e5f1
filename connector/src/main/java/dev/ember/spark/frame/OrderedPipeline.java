package dev.ember.spark.frame;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Turns a partition's rows into outputs in input order while keeping up to {@code window}
 * requests queued in the shared engine, so the engine's batch stays full (and can mix this task's
 * requests with other tasks') while Spark consumes the outputs one at a time. Rows are pulled
 * lazily, so a partition never sits in memory as a whole.
 *
 * <p>While it waits for a result it runs {@code killCheck} every {@link #KILL_POLL_MS} ms: Spark
 * kills a task by interrupting its thread only when the job asked for it
 * ({@code interruptOnCancel}); otherwise it only marks the task, and a thread blocked on the engine
 * would keep the window's requests computing until the head row finished. When the check throws,
 * the window is cancelled (which cancels the engine's requests) and the exception goes on.
 */
public final class OrderedPipeline<I, O> implements Iterator<O> {
  private final Iterator<I> input;
  private final int window;
  private final Function<I, CompletableFuture<O>> start;
  private final Runnable killCheck;
  private final ArrayDeque<CompletableFuture<O>> inFlight = new ArrayDeque<>();

  static final long KILL_POLL_MS = 50;

  public OrderedPipeline(Iterator<I> input, int window, Function<I, CompletableFuture<O>> start) {
    this(input, window, start, () -> {});
  }

  public OrderedPipeline(Iterator<I> input, int window, Function<I, CompletableFuture<O>> start, Runnable killCheck) {
    this.input = input;
    this.window = Math.max(1, window);
    this.start = start;
    this.killCheck = killCheck;
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
    checkKilled(); // results that are ready would otherwise never let a marked task notice
    try {
      while (true) {
        try {
          return future.get(KILL_POLL_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          checkKilled();
        }
      }
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

  private void checkKilled() {
    try {
      killCheck.run();
    } catch (RuntimeException killed) {
      cancel();
      throw killed;
    }
  }

  /** Cancels the queued requests (and so their engine requests), e.g. when the task is killed or ends early. */
  public void cancel() {
    inFlight.forEach(f -> f.cancel(true));
    inFlight.clear();
  }
}
