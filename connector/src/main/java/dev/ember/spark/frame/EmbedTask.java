package dev.ember.spark.frame;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import dev.ember.engine.api.EmbedResult;
import dev.ember.engine.api.Engine;
import dev.ember.engine.api.Request;
import dev.ember.spark.ResultColumns;

/**
 * embed: the text's embedding ({@code array<float>}, written to Parquet as a list of floats), the
 * tokens it was computed from, latency and error. {@code Engine.embedAsync} returns a future and
 * batches rows on the engine thread, so rows run asynchronously like generate's.
 */
record EmbedTask() implements Task {
  static final String EMBEDDING = "embedding";

  static final StructType RESULT =
      new StructType(
          new StructField[] {
            DataTypes.createStructField(EMBEDDING, DataTypes.createArrayType(DataTypes.FloatType, false), true),
            DataTypes.createStructField(ResultColumns.TOKENS, DataTypes.IntegerType, false),
            DataTypes.createStructField(ResultColumns.LATENCY_MS, DataTypes.DoubleType, false),
            DataTypes.createStructField(ResultColumns.ERROR, DataTypes.StringType, true)
          });

  @Override
  public String name() {
    return "embed";
  }

  @Override
  public StructType resultType() {
    return RESULT;
  }

  @Override
  public CompletableFuture<Object[]> start(Engine engine, Request request) {
    long start = System.nanoTime();
    return engine.embedAsync(request.prompt()).thenApply(r -> values(r, System.nanoTime() - start));
  }

  static Object[] values(EmbedResult r, long latencyNanos) {
    if (r.error() != null) {
      return errorValues(r.error(), latencyNanos);
    }
    List<Float> v = new ArrayList<>(r.embedding().length);
    for (float f : r.embedding()) {
      v.add(f);
    }
    return new Object[] {scala.jdk.javaapi.CollectionConverters.asScala(v).toList(), r.tokens(), latencyNanos / 1e6, null};
  }

  static Object[] errorValues(String message, long latencyNanos) {
    return new Object[] {null, 0, latencyNanos / 1e6, message == null || message.isEmpty() ? "error" : message};
  }

  @Override
  public Object[] error(String message, long latencyNanos) {
    return errorValues(message, latencyNanos);
  }

  @Override
  public boolean asynchronous() {
    return true;
  }

  @Override
  public RowCounts counts(Object[] r) {
    return new RowCounts((Integer) r[1], 0, 0, r[r.length - 1] != null);
  }
}
