package dev.ember.spark.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

import dev.ember.spark.SparkTestBase;
import dev.ember.spark.executor.ExecutorEngines;

/**
 * Prefix-aware partitioning on a workload with 10 distinct system prompts, shuffled: the prefix
 * cache hit rate (cached prompt tokens / prompt tokens) with and without it.
 */
class TestPrefixPartitioning extends SparkTestBase {
  static final int SYSTEMS = PrefixWorkload.SYSTEMS;
  static final int USERS = PrefixWorkload.USERS;

  static Dataset<Row> workload() {
    return PrefixWorkload.rows(spark, 4);
  }

  static double hitRate(Dataset<Row> out) {
    return PrefixWorkload.hitRate(out);
  }

  private static double run(EmberOptions opts) {
    ExecutorEngines.closeAll(); // a cold engine for each run
    Dataset<Row> out = Ember.generate(workload(), opts).cache();
    assertEquals(SYSTEMS * USERS, out.filter("ember.error is null").count());
    double rate = hitRate(out);
    out.unpersist();
    return rate;
  }

  /**
   * With one engine per JVM (local mode) and a KV budget too small for all 10 prefixes at once,
   * a shuffled order evicts prefixes before their next use; grouping keeps each prefix's rows
   * together. Measured here: about 0.73 without and 0.85–0.88 with, at 256 KiB of KV cache (at 512
   * KiB the gap had shrunk to 0.84 vs 0.86 once the cache held more of the ten prefixes, too close
   * for a test that must fail only when grouping stops helping); with an unconstrained cache both
   * are about 0.89 on one engine, and the gain moves to the cluster, where each executor's engine
   * otherwise computes every prefix itself.
   */
  @Test
  void groupingRowsBySharedPrefixRaisesTheCacheHitRate() {
    EmberOptions opts =
        EmberOptions.model(storiesModel().toString()).withMaxTokens(4).withThreads(1).withKvCacheBytes(256L << 10);
    double without = run(opts);
    double with = run(opts.withPrefixPartitioning(0, "system"));
    System.out.printf("PREFIX_HIT_RATE kv=256KiB without=%.3f with=%.3f%n", without, with);
    assertTrue(with > without + 0.02, "hit rate with prefix partitioning " + with + " vs without " + without);
  }

  @Test
  void prefixPartitioningKeepsEveryRowOnceAndGroupsThem() {
    EmberOptions opts = EmberOptions.model(storiesModel().toString()).withMaxTokens(1).withThreads(1);
    Dataset<Row> out = Ember.generate(workload(), opts.withPrefixPartitioning(3, "system"));
    assertEquals(3, out.rdd().getNumPartitions());
    List<Row> rows = out.select("id", "system").collectAsList();
    assertEquals(SYSTEMS * USERS, rows.stream().map(r -> r.getLong(0)).distinct().count());
    // Sorted by system within partitions and range-partitioned: each system prompt forms one run.
    long runs = 1;
    for (int i = 1; i < rows.size(); i++) {
      if (!rows.get(i).getString(1).equals(rows.get(i - 1).getString(1))) {
        runs++;
      }
    }
    assertEquals(SYSTEMS, runs, "rows sharing a system prompt are contiguous");
  }
}
