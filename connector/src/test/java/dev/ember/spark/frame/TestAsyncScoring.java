package dev.ember.spark.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineStats;
import dev.ember.engine.api.KvCacheType;
import dev.ember.engine.api.ScoreResult;
import dev.ember.spark.SparkTestBase;
import dev.ember.spark.executor.EngineKey;
import dev.ember.spark.executor.EngineLease;
import dev.ember.spark.executor.ExecutorEngines;

/**
 * Score and classify through the engine's asynchronous calls (issue 11): one partition keeps a
 * window of requests in the shared engine, results still equal the engine's own row by row, and a
 * task that Spark kills (or that stops reading early) cancels its in-flight requests, which the
 * engine's counters show. Real local[2] SparkSession and engine; the test holds a lease on the very
 * engine the tasks use (same key, same JVM in local mode) to read its counters.
 */
class TestAsyncScoring extends SparkTestBase {
  private static final int WINDOW = 8;

  private EngineLease lease;

  /**
   * A small token budget per step: a row's prefill then spans several steps, so the engine's
   * running-sequence counters (sampled after each step) see every row that is in flight, not
   * only those still running when a step ends.
   */
  private static EmberOptions options() {
    return EmberOptions.model(storiesModel().toString()).withThreads(1).withMaxSequences(WINDOW).withInflightPerTask(WINDOW)
        .with("maxBatchTokens", "16");
  }

  @BeforeEach
  void freshEngine() {
    ExecutorEngines.closeAll(); // counters (peak running sequences) start from zero
    lease = ExecutorEngines.acquire(
        new EngineKey(storiesModel().toString(), null, options().engine().toEngineOptions(1)), Configuration::new);
  }

  @AfterEach
  void release() {
    lease.close();
    ExecutorEngines.closeAll();
  }

  private Engine engine() {
    return lease.engine();
  }

  /** A text of a few dozen tokens, different per row. */
  private static String text(int i) {
    String[] names = {"Tom", "Lily", "Ben", "Sue", "Max"};
    String[] places = {"park", "sea", "shop", "garden", "school"};
    return "Once upon a time, " + names[i % 5] + " went to the " + places[(i / 5) % 5] + ". " + names[(i + 2) % 5]
        + " was happy and they played all day " + i + " times. Then they went home and had a big nap.";
  }

  private static Dataset<Row> texts(int rows, int partitions) {
    List<Row> data = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      data.add(RowFactory.create((long) i, text(i)));
    }
    StructType schema = new StructType().add("id", DataTypes.LongType, false).add("prompt", DataTypes.StringType, true);
    return spark.createDataFrame(data, schema).coalesce(1).repartition(partitions);
  }

  @Test
  void oneScorePartitionKeepsAWindowInFlightAndMatchesTheEngineRowByRow() {
    int rows = 96;
    // runOnPartitions keeps the one partition as it is: one task, so any concurrency the engine
    // sees comes from that task's window (before issue 11 it scored one row at a time).
    List<Row> out = Ember.runOnPartitions(texts(rows, 1), Task.score(), options()).select("id", "ember.*").collectAsList();
    assertEquals(rows, out.size());
    EngineStats stats = engine().stats();
    assertTrue(stats.peakRunningSequences() > 1, "one task should keep several score requests in flight: " + stats);
    for (Row r : out) {
      assertNull(r.getAs("error"), () -> "row failed: " + r);
      ScoreResult alone = engine().score(text((int) (long) r.<Long>getAs("id")));
      assertEquals(alone.logprob(), (double) r.getAs("logprob"), 1e-9, "a row's score does not depend on its batch");
      assertEquals(alone.tokens(), (int) r.getAs("tokens"));
    }
  }

  @Test
  void oneClassifyPartitionKeepsAWindowInFlightAndMatchesTheEngineRowByRow() {
    int rows = 64;
    List<String> labels = List.of("happy", "sad");
    List<Row> out = Ember.runOnPartitions(texts(rows, 1), Task.classify(labels), options()).select("id", "ember.*").collectAsList();
    assertEquals(rows, out.size());
    EngineStats stats = engine().stats();
    assertTrue(stats.peakRunningSequences() > 2, "one task should keep several rows' choices in flight: " + stats);
    for (Row r : out) {
      assertNull(r.getAs("error"), () -> "row failed: " + r);
      String prompt = text((int) (long) r.<Long>getAs("id"));
      List<ScoreResult> alone = engine().scoreChoices(prompt, List.of(" happy", " sad"));
      Map<String, Double> got = scala.jdk.javaapi.CollectionConverters.asJava(r.<scala.collection.Map<String, Double>>getAs("label_logprobs"));
      assertEquals(alone.get(0).logprob(), got.get("happy"), 1e-9);
      assertEquals(alone.get(1).logprob(), got.get("sad"), 1e-9);
      assertEquals(alone.get(0).logprob() >= alone.get(1).logprob() ? "happy" : "sad", r.getAs("label"));
    }
  }

  @Test
  void cancellingTheJobGroupWithoutInterruptCancelsInFlightScoreRequests() throws Exception {
    killMidPartition(false);
  }

  @Test
  void cancellingTheJobGroupWithInterruptCancelsInFlightClassifyRequests() throws Exception {
    killMidPartition(true);
  }

  /**
   * Starts a long score (or classify) job, waits until its tasks have requests running in the
   * engine, cancels the job group and checks: the job fails as cancelled, the engine counts
   * cancelled requests, its running batch empties and every cache block is free again, and stays
   * so. Without interrupt, Spark only marks the tasks killed; the pipeline has to notice it. A kill
   * that does not reach the pipeline leaves the job running its 20,000 rows and times out here.
   */
  private void killMidPartition(boolean interrupt) throws Exception {
    int rows = 20_000;
    EngineStats before = engine().stats();
    String group = "ember-cancel-" + interrupt;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread job = new Thread(() -> {
      spark.sparkContext().setJobGroup(group, "cancel test", interrupt);
      try {
        Task task = interrupt ? Task.classify(List.of("happy", "sad")) : Task.score();
        Ember.run(texts(rows, 2), task, options()).write().format("noop").mode("overwrite").save();
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    job.start();
    waitFor(() -> engine().stats().runningSequences() > 0, 120_000, "the job's requests to run in the engine");
    Thread.sleep(200); // mid-partition: windows full, rows flowing
    spark.sparkContext().cancelJobGroup(group);
    job.join(60_000);
    assertTrue(!job.isAlive(), "a cancelled job must end");
    assertNotNull(failure.get(), "the cancelled job must fail");
    assertTrue(String.valueOf(failure.get().getMessage()).contains("cancel"), "failure: " + failure.get());

    waitFor(() -> {
      EngineStats s = engine().stats();
      return s.runningSequences() == 0 && s.freeKvBlocks() == s.kvBlocks();
    }, 10_000, "the engine to drop the cancelled sequences and free their blocks");
    EngineStats after = engine().stats();
    long cancelled = after.cancelledRequests() - before.cancelledRequests();
    assertTrue(cancelled >= 1, "the killed tasks' in-flight requests must be cancelled in the engine: " + after);
    // Each of the two tasks holds at most a window of rows (a classify row is two requests).
    assertTrue(cancelled <= 2L * WINDOW * (interrupt ? 2 : 1), "cancelled " + cancelled + ": " + after);
    Thread.sleep(300);
    EngineStats later = engine().stats();
    assertEquals(0, later.runningSequences(), "nothing of the killed job runs on: " + later);
    assertEquals(after.cancelledRequests(), later.cancelledRequests());
    assertEquals(later.kvBlocks(), later.freeKvBlocks());
  }

  @Test
  void aTaskThatStopsReadingEarlyCancelsTheRestOfItsWindow() throws Exception {
    EngineStats before = engine().stats();
    // limit(3) reads three rows of the one partition and completes the task with the rest of its
    // window still queued; the task's completion listener cancels them. (Generate, whose finished
    // requests the engine counts, so that done + cancelled can be checked against the window.)
    List<Row> three = Ember.runOnPartitions(texts(200, 1), Task.generate(), options().withMaxTokens(48)).limit(3).collectAsList();
    assertEquals(3, three.size());
    waitFor(() -> engine().stats().runningSequences() == 0, 10_000, "the engine to go idle");
    EngineStats after = engine().stats();
    long done = after.requestsDone() - before.requestsDone();
    long cancelled = after.cancelledRequests() - before.cancelledRequests();
    // The engine counts a cancelled request as done too (it finishes, with an error).
    assertTrue(cancelled >= 1, "requests left in the window must be cancelled, not computed: " + after);
    assertTrue(done <= 3 + WINDOW, "only the window was ever started: done " + done + ", cancelled " + cancelled);
    assertTrue(done - cancelled >= 3, "the rows read were computed: done " + done + ", cancelled " + cancelled);
    assertEquals(after.kvBlocks(), after.freeKvBlocks(), "every block is free again");
  }

  @Test
  void kvCacheTypeReachesTheEngineFromEveryOptionSpelling() {
    EmberOptions api = options().with("kvCacheType", "q8_0");
    assertEquals(KvCacheType.Q8_0, api.engine().toEngineOptions(1).kvCacheType());
    EmberOptions sql = OptionRegistry.applySingle(
        options(), Map.of("kv_cache_type", "BF16", "kv_cache_bytes", "1048576"), OptionRegistry.Spelling.SQL, "key",
        OptionRegistry.SQL_SCOPES);
    assertEquals(KvCacheType.BF16, sql.engine().toEngineOptions(1).kvCacheType());
    assertEquals(1L << 20, sql.engine().toEngineOptions(1).kvCacheBytes());
    assertEquals(KvCacheType.F16, options().engine().toEngineOptions(1).kvCacheType(), "the engine's default");
    IllegalArgumentException bad = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> options().with("kvCacheType", "f8"));
    assertEquals("Ember: option kvCacheType: unknown KV cache type 'f8'; use f32, f16, bf16 or q8_0", bad.getMessage());

    // A job with kvCacheType=f32 runs on an engine with an f32 cache (held open by the idle timeout).
    EmberOptions f32 = options().with("kvCacheType", "f32");
    assertEquals(4, Ember.runOnPartitions(texts(4, 1), Task.score(), f32).count());
    try (EngineLease used = ExecutorEngines.acquire(
        new EngineKey(storiesModel().toString(), null, f32.engine().toEngineOptions(1)), Configuration::new)) {
      assertEquals(KvCacheType.F32, used.engine().stats().kvCacheType());
    }
  }

  private static void waitFor(BooleanSupplier condition, long millis, String what) throws InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(10);
    }
  }
}
