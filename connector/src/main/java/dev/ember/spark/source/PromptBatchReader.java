package dev.ember.spark.source;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.connector.metric.CustomTaskMetric;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.vectorized.ColumnarBatch;

import dev.ember.engine.api.Engine;
import dev.ember.spark.arrow.ArrowBatchWriter;
import dev.ember.spark.executor.EngineLease;
import dev.ember.spark.frame.RowPipeline;
import dev.ember.spark.frame.Task;

/**
 * Reads one split's prompt lines, runs them on the executor's shared engine (keeping a window of
 * requests in flight) and returns the results as Arrow-backed columnar batches. The batch it
 * returns is valid until the next {@link #next()}; the vectors are reused.
 */
final class PromptBatchReader implements PartitionReader<ColumnarBatch> {

  private final PromptSplit split;
  private final ReaderContext ctx;
  private final BufferedReader lines;
  private final EngineLease lease;
  private final BufferAllocator allocator;
  private final ArrowBatchWriter writer;
  private final Iterator<RowPipeline.Outcome<Object[]>> outputs;
  private final long startNanos = System.nanoTime();
  private long promptTokens;
  private long cachedTokens;
  private long completionTokens;
  private long errorRows;

  PromptBatchReader(PromptSplit split, ReaderContext ctx) {
    this.split = split;
    this.ctx = ctx;
    this.lines = open(split, ctx.hadoopConf().value().get());
    this.lease = ctx.target().acquire();
    this.allocator = new RootAllocator();
    this.writer = new ArrowBatchWriter(ctx.outputSchema(), allocator);
    Engine engine = lease.engine();
    Iterator<String> lineIt = lineIterator();
    Iterator<Object[]> values = new Iterator<>() {
      @Override
      public boolean hasNext() {
        return lineIt.hasNext();
      }

      @Override
      public Object[] next() {
        return ctx.lines().values(lineIt.next());
      }
    };
    this.outputs =
        RowPipeline.run(values, RowFactory::create, engine, ctx.requests(), ctx.task(), ctx.window(), ctx.errors(), this::count);
  }

  private static BufferedReader open(PromptSplit split, Configuration conf) {
    try {
      Path path = new Path(split.path());
      FSDataInputStream in = path.getFileSystem(conf).open(path);
      in.seek(split.start());
      // The split ends on a line boundary, so reading exactly its bytes yields whole lines.
      return new BufferedReader(new InputStreamReader(new Bounded(in, split.end() - split.start()), StandardCharsets.UTF_8), 1 << 16);
    } catch (IOException e) {
      throw new UncheckedIOException("Ember: cannot read " + split.path(), e);
    }
  }

  /** Reads at most {@code remaining} bytes of the underlying stream. */
  private static final class Bounded extends java.io.FilterInputStream {
    private long remaining;

    Bounded(java.io.InputStream in, long limit) {
      super(in);
      this.remaining = limit;
    }

    @Override
    public int read() throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int b = super.read();
      if (b >= 0) {
        remaining--;
      }
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int n = super.read(buf, off, (int) Math.min(len, remaining));
      if (n > 0) {
        remaining -= n;
      }
      return n;
    }
  }

  private Iterator<String> lineIterator() {
    return new Iterator<>() {
      private String next = advance();

      private String advance() {
        try {
          String line;
          do {
            line = lines.readLine();
          } while (line != null && ctx.lines().json() && line.isBlank()); // JSON Lines skips blank lines
          return line;
        } catch (IOException e) {
          throw new UncheckedIOException("Ember: cannot read " + split.path(), e);
        }
      }

      @Override
      public boolean hasNext() {
        return next != null;
      }

      @Override
      public String next() {
        String line = next;
        next = advance();
        return line;
      }
    };
  }

  @Override
  public boolean next() {
    writer.reset();
    while (writer.rows() < ctx.batchRows() && outputs.hasNext()) {
      RowPipeline.Outcome<Object[]> out = outputs.next();
      writer.append(ctx.layout().values(out.input(), out.results()));
    }
    return writer.rows() > 0;
  }

  private void count(Task.RowCounts c) {
    promptTokens += c.promptTokens();
    cachedTokens += c.cachedPromptTokens();
    completionTokens += c.completionTokens();
    if (c.error()) {
      errorRows++;
    }
  }

  @Override
  public ColumnarBatch get() {
    return writer.batch();
  }

  @Override
  public CustomTaskMetric[] currentMetricsValues() {
    long millis = Math.max(1, (System.nanoTime() - startNanos) / 1_000_000);
    long tokensPerSecond = (promptTokens - cachedTokens + completionTokens) * 1000 / millis;
    return new CustomTaskMetric[] {
      new EmberMetrics.TaskValue(EmberMetrics.PROMPT_TOKENS, promptTokens),
      new EmberMetrics.TaskValue(EmberMetrics.CACHED_TOKENS, cachedTokens),
      new EmberMetrics.TaskValue(EmberMetrics.COMPLETION_TOKENS, completionTokens),
      new EmberMetrics.TaskValue(EmberMetrics.ERROR_ROWS, errorRows),
      new EmberMetrics.TaskValue(EmberMetrics.ENGINE_MILLIS, tokensPerSecond)
    };
  }

  @Override
  public void close() throws IOException {
    try {
      lines.close();
      writer.close();
      allocator.close();
    } finally {
      lease.close();
    }
  }
}
