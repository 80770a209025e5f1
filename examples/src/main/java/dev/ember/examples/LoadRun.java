package dev.ember.examples;

import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The load run of issue 16, repeatable: a generate job over {@code ROWS} prompts (default
 * 1,000,000, 8 new tokens) through the real job entry point ({@code ember spark-job}: SparkSubmit,
 * then {@code EmberJob}) in this JVM, local[2], while a sampler records every few seconds the heap,
 * direct buffers, the resident and virtual size, open file descriptors ({@code /proc/self/fd}) and
 * live threads; every sixth sample first runs a full GC, so its heap figure is the live heap. Not
 * part of any test suite: {@code ./ember load-run [MODEL [ROWS [WORKDIR]]]} (README "Load run").
 *
 * <p>It fails (exit 1) unless the job's summary reports {@code rows} and {@code input_rows} equal
 * to ROWS, and after the warm-up (the first fifth of the samples) neither the live heap, nor file
 * descriptors, nor threads grow: the last quarter's live heap maximum may exceed the first steady
 * quarter's by at most 32 MiB, its median descriptors and threads the first quarter's by 8 and 4
 * (medians: Spark reads the output back for the summary in the last seconds); and after
 * {@code spark.stop()} no more descriptors or threads are held than while the job ran. The samples go to
 * {@code WORKDIR/load-samples.csv}, the verdict to stdout as one {@code LOAD_RUN ...} line.
 */
public final class LoadRun {
  private static final long MIB = 1 << 20;

  private LoadRun() {}

  /** One sample; {@code liveHeap} is -1 unless a full GC ran just before it. */
  record Sample(double seconds, long heapUsed, long liveHeap, long heapMax, long direct, long rss, long peakRss, long virtual,
      int fds, int threads) {
    static String header() {
      return "seconds,heap_used_mib,live_heap_after_full_gc_mib,heap_max_mib,direct_mib,rss_mib,peak_rss_mib,vm_size_mib,fds,threads";
    }

    String csv() {
      return String.format(Locale.ROOT, "%.1f,%.1f,%.1f,%.1f,%.2f,%.1f,%.1f,%.1f,%d,%d", seconds, heapUsed / (double) MIB,
          liveHeap / (double) MIB, heapMax / (double) MIB, direct / (double) MIB, rss / (double) MIB, peakRss / (double) MIB,
          virtual / (double) MIB, fds, threads);
    }
  }

  public static void main(String[] args) throws Exception {
    Path root = EmberCli.repoRoot();
    String model = args.length > 0 ? args[0] : root.resolve("../shared/models/stories260K.gguf").normalize().toString();
    long rows = args.length > 1 ? Long.parseLong(args[1].replace("_", "").replace(",", "")) : 1_000_000L;
    Path work = Path.of(args.length > 2 ? args[2] : "/tmp/ember-load").toAbsolutePath();
    int sampleSeconds = Integer.getInteger("ember.load.sampleSeconds", 5);
    int partitions = Integer.getInteger("ember.load.partitions", 40);
    Files.createDirectories(work);
    Path input = work.resolve("input-" + rows + ".jsonl");
    if (!Files.exists(input)) {
      writeInput(input, rows);
    }
    Path output = work.resolve("output");

    List<Sample> samples = new ArrayList<>();
    long t0 = System.nanoTime();
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ember-load-sampler");
      t.setDaemon(true);
      return t;
    });
    Path csv = work.resolve("load-samples.csv");
    BufferedWriter out = Files.newBufferedWriter(csv);
    out.write(Sample.header());
    out.newLine();
    AtomicLong n = new AtomicLong();
    sampler.scheduleAtFixedRate(() -> {
      try {
        Sample s = sample(t0, n.getAndIncrement() % 6 == 0);
        synchronized (samples) {
          samples.add(s);
        }
        out.write(s.csv());
        out.newLine();
        out.flush();
      } catch (IOException e) {
        System.err.println("LoadRun: sampling failed: " + e);
      }
    }, 0, sampleSeconds, TimeUnit.SECONDS);

    // The summary line is the job's own output; keep a copy while it still goes to stdout.
    PrintStream stdout = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(new Tee(stdout, captured), true, StandardCharsets.UTF_8));
    EmberCli.main(new String[] {"spark-job", "--master", "local[2]", "--task", "generate", "--model", model,
        "--input", input.toString(), "--input-format", "json", "--output", output.toString(), "--output-format", "json",
        "--max-tokens", "8", "--threads", "2", "--partitions", Integer.toString(partitions), "--overwrite",
        "--progress-seconds", "60"});
    System.setOut(stdout);
    double wall = (System.nanoTime() - t0) / 1e9;
    sampler.shutdown();
    sampler.awaitTermination(30, TimeUnit.SECONDS);
    Sample last = sample(t0, true);
    out.write(last.csv());
    out.newLine();
    out.close();

    List<String> failures = new ArrayList<>();
    String summary = captured.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("EMBER_JOB")).reduce((a, b) -> b)
        .orElse("");
    long summaryRows = field(summary, "rows");
    long inputRows = field(summary, "input_rows");
    if (summaryRows != rows || inputRows != rows) {
      failures.add("summary rows=" + summaryRows + " input_rows=" + inputRows + ", expected " + rows);
    }
    List<Sample> all;
    synchronized (samples) {
      all = new ArrayList<>(samples);
    }
    List<Sample> steady = all.subList(all.size() / 5, all.size());
    int q = Math.max(1, steady.size() / 4);
    List<Sample> first = steady.subList(0, q);
    List<Sample> lastQ = steady.subList(steady.size() - q, steady.size());
    long heapFirst = max(first, Sample::liveHeap);
    long heapLast = max(lastQ, Sample::liveHeap);
    long fdFirst = median(first, Sample::fds);
    long fdLast = median(lastQ, Sample::fds);
    long thrFirst = median(first, Sample::threads);
    long thrLast = median(lastQ, Sample::threads);
    if (heapLast > heapFirst + 32 * MIB) {
      failures.add(String.format(Locale.ROOT, "live heap grew after warm-up: %.1f -> %.1f MiB", heapFirst / (double) MIB,
          heapLast / (double) MIB));
    }
    if (fdLast > fdFirst + 8) {
      failures.add("file descriptors grew after warm-up: " + fdFirst + " -> " + fdLast);
    }
    if (thrLast > thrFirst + 4) {
      failures.add("threads grew after warm-up: " + thrFirst + " -> " + thrLast);
    }
    // After spark.stop(): nothing the job opened may still be held.
    if (last.fds() > max(steady, Sample::fds) || last.threads() > max(steady, Sample::threads)) {
      failures.add("after the job " + last.fds() + " descriptors and " + last.threads() + " threads are held, more than while it ran");
    }
    System.out.printf(Locale.ROOT,
        "LOAD_RUN rows=%d summary_rows=%d input_rows=%d wall_s=%.1f samples=%d peak_rss_mib=%.1f heap_max_mib=%.0f"
            + " live_heap_mib_first_steady_quarter=%.1f live_heap_mib_last_quarter=%.1f live_heap_mib_steady=%.1f..%.1f"
            + " direct_mib_max=%.2f fds_steady=%d..%d (first/last quarter median %d/%d) threads_steady=%d..%d (first/last quarter median %d/%d) after_job_fds=%d after_job_threads=%d"
            + " status=%s%n",
        rows, summaryRows, inputRows, wall, all.size(), last.peakRss() / (double) MIB, last.heapMax() / (double) MIB,
        heapFirst / (double) MIB, heapLast / (double) MIB, min(steady, Sample::liveHeap) / (double) MIB,
        max(steady, Sample::liveHeap) / (double) MIB, max(all, Sample::direct) / (double) MIB, min(steady, Sample::fds),
        max(steady, Sample::fds), fdFirst, fdLast, min(steady, Sample::threads), max(steady, Sample::threads), thrFirst, thrLast, last.fds(), last.threads(),
        failures.isEmpty() ? "ok" : "failed");
    System.out.println("LoadRun: job summary: " + summary);
    System.out.println("LoadRun: samples in " + csv);
    if (!failures.isEmpty()) {
      failures.forEach(f -> System.err.println("LoadRun: " + f));
      System.exit(1);
    }
  }

  /** ROWS JSON lines: an id and one of 500 story openings, so prompts share prefixes as real ones do. */
  static void writeInput(Path input, long rows) throws IOException {
    Path tmp = input.resolveSibling(input.getFileName() + ".tmp");
    try (BufferedWriter w = Files.newBufferedWriter(tmp)) {
      for (long i = 1; i <= rows; i++) {
        w.write("{\"id\": " + i + ", \"prompt\": \"Once upon a time, in story number " + (i % 500) + ", there was a\"}");
        w.newLine();
      }
    }
    Files.move(tmp, input);
  }

  /**
   * One sample; with {@code fullGc} a full collection first, so its heap figure is the live heap
   * (what a leak grows). Without one, young-collection leftovers and old garbage waiting for a
   * concurrent cycle would hide or fake a trend.
   */
  static Sample sample(long t0, boolean fullGc) throws IOException {
    long live = -1;
    if (fullGc) {
      System.gc();
      live = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    long direct = 0;
    for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (pool.getName().equals("direct")) {
        direct = pool.getMemoryUsed();
      }
    }
    String status = Files.readString(Path.of("/proc/self/status"));
    int fds;
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      fds = (int) s.count();
    }
    return new Sample((System.nanoTime() - t0) / 1e9, heap.getUsed(), live, heap.getMax(), direct,
        kb(status, "VmRSS") * 1024, kb(status, "VmHWM") * 1024, kb(status, "VmSize") * 1024, fds,
        ManagementFactory.getThreadMXBean().getThreadCount());
  }

  static long kb(String status, String key) {
    Matcher m = Pattern.compile("(?m)^" + key + ":\\s+(\\d+)").matcher(status);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  static long field(String summary, String name) {
    Matcher m = Pattern.compile("(?:^| )" + name + "=(\\d+)").matcher(summary);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  /** The largest value of a metric (samples without it, -1, are skipped). */
  static long max(List<Sample> samples, ToLongFunction<Sample> metric) {
    return samples.stream().mapToLong(metric).filter(v -> v >= 0).max().orElse(-1);
  }

  static long min(List<Sample> samples, ToLongFunction<Sample> metric) {
    return samples.stream().mapToLong(metric).filter(v -> v >= 0).min().orElse(-1);
  }

  /** The median of a metric: robust to the job's last seconds, when Spark reads the output back for the summary. */
  static long median(List<Sample> samples, ToLongFunction<Sample> metric) {
    long[] v = samples.stream().mapToLong(metric).filter(x -> x >= 0).sorted().toArray();
    return v.length == 0 ? -1 : v[v.length / 2];
  }

  /** Writes to two streams (stdout and a copy). */
  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    Tee(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public synchronized void write(int c) throws IOException {
      a.write(c);
      b.write(c);
    }

    @Override
    public synchronized void write(byte[] buf, int off, int len) throws IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }

    @Override
    public void flush() throws IOException {
      a.flush();
      b.flush();
    }
  }
}
