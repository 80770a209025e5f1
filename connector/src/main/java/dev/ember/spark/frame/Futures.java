package dev.ember.spark.frame;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Derived futures that pass cancellation back to their source. {@code thenApply} and
 * {@code handle} return futures whose {@code cancel} leaves the source running; an engine
 * request is cancelled only through the future the engine returned, so every step between the
 * engine and {@link OrderedPipeline}'s window goes through here, and cancelling the window's
 * future frees the request's sequence and cache blocks in the engine.
 */
final class Futures {
  private Futures() {}

  /** {@code source.thenApply(fn)}, cancelling {@code source} when the result is cancelled. */
  static <T, R> CompletableFuture<R> map(CompletableFuture<T> source, Function<? super T, ? extends R> fn) {
    return linked(source, source.thenApply(fn));
  }

  /** {@code source.handle(fn)}, cancelling {@code source} when the result is cancelled. */
  static <T, R> CompletableFuture<R> handle(CompletableFuture<T> source, BiFunction<? super T, Throwable, ? extends R> fn) {
    return linked(source, source.handle(fn));
  }

  private static <R> CompletableFuture<R> linked(CompletableFuture<?> source, CompletableFuture<R> derived) {
    derived.whenComplete((r, e) -> {
      if (e instanceof CancellationException) {
        source.cancel(true);
      }
    });
    return derived;
  }
}
