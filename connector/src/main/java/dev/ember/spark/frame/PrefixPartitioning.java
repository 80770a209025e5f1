package dev.ember.spark.frame;

import static org.apache.spark.sql.functions.col;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Prefix-aware partitioning: rows are range-partitioned and then sorted by their group columns
 * and prompt. Lexicographic order puts prompts that share a prefix next to each other, so each
 * prefix lands in one partition (or a few adjacent ones when a group is larger than a partition)
 * and its rows reach the executor's engine one after another, while the prefix's KV blocks are
 * still in the cache. Range (not hash) partitioning keeps partitions balanced when a few prefixes
 * dominate; it costs one sampling pass over the input and a shuffle.
 *
 * <p>Measured (stories260K): it helps when the KV cache cannot hold every prefix (10 system
 * prompts, 512 KiB: hit rate 0.74 to 0.85) and between executors. It can hurt with an ample
 * cache: sorted rows of one group enter the engine's batch together and prefill the same
 * uncached prefix concurrently, which the engine does not yet share (10,000 story prompts on
 * local[2]: 0.78 without, 0.64 with). So it is off by default.
 *
 * @param enabled whether to repartition at all
 * @param partitions output partitions; 0 keeps the input's count
 * @param groupColumns columns that lead the sort key (e.g. a system prompt column)
 */
public record PrefixPartitioning(boolean enabled, int partitions, List<String> groupColumns) implements Serializable {
  public PrefixPartitioning {
    groupColumns = groupColumns == null ? List.of() : List.copyOf(groupColumns);
  }

  public static PrefixPartitioning off() {
    return new PrefixPartitioning(false, 0, List.of());
  }

  void validate() {
    if (partitions < 0) {
      throw new IllegalArgumentException("prefix partitions must be >= 0, got " + partitions);
    }
  }

  Dataset<Row> apply(Dataset<Row> df, String promptColumn) {
    if (!enabled) {
      return df;
    }
    List<Column> key = new ArrayList<>();
    for (String c : groupColumns) {
      if (!List.of(df.columns()).contains(c)) {
        throw new IllegalArgumentException("Ember: prefix group column '" + c + "' is not in the input");
      }
      key.add(col(c));
    }
    key.add(col(promptColumn));
    Column[] keys = key.toArray(new Column[0]);
    int n = partitions > 0 ? partitions : df.rdd().getNumPartitions();
    return df.repartitionByRange(n, keys).sortWithinPartitions(keys);
  }
}
