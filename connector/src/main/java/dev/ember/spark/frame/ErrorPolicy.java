package dev.ember.spark.frame;

import java.io.Serializable;

/**
 * What rows with an error do to a job. By default nothing: the row carries its error and the job
 * goes on. {@code failOnError} fails the task at the first bad row (Spark then fails the job after
 * its task retries), naming the row's key and the reason. {@code maxErrorFraction} is checked when
 * the whole output is known (the job, {@link Ember#checkErrors}); a run where every row failed fails
 * whatever the fraction, because it produced nothing.
 */
public record ErrorPolicy(boolean failOnError, double maxErrorFraction) implements Serializable {
  public static ErrorPolicy defaults() {
    return new ErrorPolicy(false, 1.0);
  }

  void validate() {
    if (!(maxErrorFraction >= 0 && maxErrorFraction <= 1)) {
      throw new IllegalArgumentException("maxErrorFraction must be in [0, 1], got " + maxErrorFraction);
    }
  }

  /** Why {@code errors} of {@code rows} fail the run, or null when they do not. */
  public String verdict(long rows, long errors) {
    if (rows > 0 && errors == rows) {
      return "every row failed (" + errors + " of " + rows + ")";
    }
    if (rows > 0 && (double) errors / rows > maxErrorFraction) {
      return String.format(java.util.Locale.ROOT, "%d of %d rows failed (%.3f > maxErrorFraction %s)", errors, rows,
          (double) errors / rows, maxErrorFraction);
    }
    return null;
  }
}
