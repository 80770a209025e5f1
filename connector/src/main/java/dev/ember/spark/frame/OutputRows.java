package dev.ember.spark.frame;

import java.util.Iterator;
import java.util.NoSuchElementException;


import dev.ember.spark.executor.EngineLease;

/** Helpers for output iterators: failure messages and returning the engine lease at the end. */
final class OutputRows {
  private OutputRows() {}

  /** The message for a row whose request failed with an exception; Errors still fail the task. */
  static String describe(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof Error e) {
      throw e;
    }
    return t.getMessage() != null ? t.getClass().getSimpleName() + ": " + t.getMessage() : t.getClass().getName();
  }

  /** Returns the lease as soon as the last row is out, before the task's completion listener. */
  static <T> Iterator<T> releasingAtEnd(Iterator<T> rows, EngineLease lease) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        boolean more = rows.hasNext();
        if (!more) {
          lease.close();
        }
        return more;
      }

      @Override
      public T next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return rows.next();
      }
    };
  }
}
