package dev.ember.spark.frame;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.Request;
import dev.ember.spark.ResultColumns;

/**
 * generate with {@code outputSchema}: the constrained completion (the request's JSON schema comes
 * from the options, {@link OutputConstraint}) plus its JSON parsed into a typed struct field
 * ({@code parsed} by default), placed before {@code latency_ms} and {@code error}. A row whose text
 * does not parse into the struct (an output cut short by max tokens, or a user JSON schema that
 * allows other values) keeps its text and gets {@code error} set and a null struct.
 */
record StructuredTask(StructType schema, String field) implements Task {
  private static final int LATENCY = ResultColumns.GENERATE.fieldIndex(ResultColumns.LATENCY_MS);

  @Override
  public String name() {
    return "generate";
  }

  @Override
  public StructType resultType() {
    StructField[] base = ResultColumns.GENERATE.fields();
    StructField[] out = new StructField[base.length + 1];
    System.arraycopy(base, 0, out, 0, LATENCY);
    out[LATENCY] = DataTypes.createStructField(field, schema, true);
    System.arraycopy(base, LATENCY, out, LATENCY + 1, base.length - LATENCY);
    return new StructType(out);
  }

  @Override
  public CompletableFuture<Object[]> start(Engine engine, Request request) {
    return Futures.map(engine.submit(request), r -> withParsed(ResultColumns.generate(r)));
  }

  /** Generate's values with the parsed struct inserted; a text that does not parse sets the error. */
  private Object[] withParsed(Object[] generated) {
    Object parsed = null;
    Object[] g = generated;
    if (g[g.length - 1] == null) {
      try {
        parsed = JsonSchemas.parse((String) g[0], schema);
      } catch (IllegalArgumentException e) {
        g = g.clone();
        g[g.length - 1] = "output does not parse into " + schema.simpleString() + ": " + e.getMessage();
      }
    }
    Object[] out = new Object[g.length + 1];
    System.arraycopy(g, 0, out, 0, LATENCY);
    out[LATENCY] = parsed;
    System.arraycopy(g, LATENCY, out, LATENCY + 1, g.length - LATENCY);
    return out;
  }

  @Override
  public Object[] error(String message, long latencyNanos) {
    return withParsed(ResultColumns.generateError(message, latencyNanos));
  }

  @Override
  public boolean asynchronous() {
    return true;
  }

  @Override
  public RowCounts counts(Object[] r) {
    return new RowCounts((Integer) r[2], (Integer) r[3], (Integer) r[4], r[r.length - 1] != null);
  }

  @Override
  public String toString() {
    return "StructuredTask[" + field + " " + schema.simpleString() + "]";
  }

  static {
    // The inserted field goes right before latency_ms, which error follows.
    assert Arrays.asList(ResultColumns.GENERATE.fieldNames()).indexOf(ResultColumns.ERROR) == LATENCY + 1;
  }
}
