package dev.ember.spark.frame;

import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import dev.ember.spark.executor.EngineLease;

/** Output rows: the input row's values followed by the task's result values. */
final class OutputRows {
  private OutputRows() {}

  static Row append(Row input, Object[] results) {
    Object[] values = new Object[input.size() + results.length];
    for (int i = 0; i < input.size(); i++) {
      values[i] = input.get(i);
    }
    for (int i = 0; i < results.length; i++) {
      // Spark's Row encoder takes scala Maps for MapType columns.
      values[input.size() + i] =
          results[i] instanceof Map<?, ?> m ? scala.jdk.javaapi.CollectionConverters.asScala(m) : results[i];
    }
    return RowFactory.create(values);
  }

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
