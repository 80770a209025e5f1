package dev.ember.spark.executor;

import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.KvCacheType;

/**
 * Optional {@code spark.plugins=dev.ember.spark.executor.EmberPlugin}: opens the model on every
 * executor as it starts (executor start blocks on it), so the first tasks do not pay for the fetch
 * and load, and keeps it open for the executor's lifetime.
 *
 * <p>Settings: {@code spark.ember.preload.model} (required to preload anything), and optionally
 * {@code spark.ember.preload.modelSha256}, {@code .threads}, {@code .contextLength},
 * {@code .kvCacheBytes}, {@code .kvCacheType}, {@code .maxBatchTokens}, {@code .maxSequences}. Tasks reuse the preloaded
 * engine only when their options resolve to the same engine options; otherwise they open their own.
 */
public final class EmberPlugin implements SparkPlugin {
  static final String PREFIX = "spark.ember.preload.";

  @Override
  public DriverPlugin driverPlugin() {
    return null;
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return new Preloader();
  }

  /** The engine key a job with these settings will ask for on an executor with this conf. */
  static EngineKey preloadKey(SparkConf conf) {
    String model = conf.get(PREFIX + "model", null);
    if (model == null) {
      return null;
    }
    EngineSettings defaults = EngineSettings.defaults();
    EngineSettings settings =
        new EngineSettings(
            conf.getInt(PREFIX + "threads", defaults.threads()),
            conf.getInt(PREFIX + "contextLength", defaults.contextLength()),
            conf.getLong(PREFIX + "kvCacheBytes", defaults.kvCacheBytes()),
            conf.getInt(PREFIX + "maxBatchTokens", defaults.maxBatchTokens()),
            conf.getInt(PREFIX + "maxSequences", defaults.maxSequences()),
            conf.contains(PREFIX + "kvCacheType") ? KvCacheType.parse(conf.get(PREFIX + "kvCacheType")) : defaults.kvCacheType());
    EngineOptions options = settings.toEngineOptions(ExecutorCores.engineThreads(conf));
    return new EngineKey(model, conf.get(PREFIX + "modelSha256", null), options);
  }

  /** Hadoop settings the way Spark builds them: spark.hadoop.* entries of the Spark conf. */
  static Configuration hadoopConf(SparkConf conf) {
    Configuration hadoop = new Configuration();
    for (scala.Tuple2<String, String> kv : conf.getAll()) {
      if (kv._1().startsWith("spark.hadoop.")) {
        hadoop.set(kv._1().substring("spark.hadoop.".length()), kv._2());
      }
    }
    return hadoop;
  }

  static final class Preloader implements ExecutorPlugin {
    private static final Logger LOG = LoggerFactory.getLogger(Preloader.class);
    private EngineLease lease;

    @Override
    public void init(PluginContext ctx, Map<String, String> extraConf) {
      EngineKey key = preloadKey(ctx.conf());
      if (key == null) {
        LOG.warn("EmberPlugin is enabled but {}model is not set; nothing to preload", PREFIX);
        return;
      }
      long start = System.nanoTime();
      lease = ExecutorEngines.acquire(key, () -> hadoopConf(ctx.conf()));
      LOG.info(
          "preloaded {} on executor {} in {} ms", key.modelUri(), ctx.executorID(), (System.nanoTime() - start) / 1_000_000);
    }

    @Override
    public void shutdown() {
      if (lease != null) {
        lease.close();
      }
    }
  }
}
