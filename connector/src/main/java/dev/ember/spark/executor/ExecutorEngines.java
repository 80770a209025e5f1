package dev.ember.spark.executor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ember.engine.api.Engine;

/**
 * The engines of this JVM: one per {@link EngineKey}, shared by every task that asks for it.
 *
 * <p>Tasks take a reference-counted {@link EngineLease}. When the last lease is returned the
 * engine stays open for an idle timeout (so the next stage or the next partition of a job does not
 * reload the model) and is then closed; a JVM shutdown hook closes whatever is left. In local mode
 * the driver and executors share this JVM, so tests call {@link #closeAll()} between classes.
 */
public final class ExecutorEngines {
  /** System property (and Spark conf {@code spark.ember.engine.idleTimeoutMs}) for the idle timeout. */
  public static final String IDLE_TIMEOUT_PROPERTY = "ember.engine.idleTimeoutMs";

  private static final Logger LOG = LoggerFactory.getLogger(ExecutorEngines.class);
  private static final long DEFAULT_IDLE_TIMEOUT_MS = 60_000;
  private static final Object LOCK = new Object();
  private static final Map<EngineKey, Slot> SLOTS = new HashMap<>();
  private static final ScheduledExecutorService REAPER =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "ember-engine-reaper");
            t.setDaemon(true);
            return t;
          });

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(ExecutorEngines::closeAll, "ember-engines-shutdown"));
  }

  private ExecutorEngines() {}

  /**
   * Whether the engine can use its Vector API kernels: they need the incubator module, which the
   * JVM only has with {@code --add-modules=jdk.incubator.vector}. The engine's own fallback warning
   * goes to java.util.logging, which Spark's log does not show, so the connector says it here.
   */
  static boolean vectorKernels() {
    return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
  }

  /**
   * A lease on the engine for {@code key}, opening it (and fetching the model into the host's
   * {@link ModelCache}) on first use. Close the lease when the task is done with it.
   */
  public static EngineLease acquire(EngineKey key, Supplier<Configuration> hadoopConf) {
    return acquireLocal(key, () -> localize(key, hadoopConf.get()));
  }

  static EngineLease acquireLocal(EngineKey key, Supplier<Path> localModel) {
    Slot slot;
    synchronized (LOCK) {
      slot = SLOTS.computeIfAbsent(key, Slot::new);
      slot.refs++;
      if (slot.pendingClose != null) {
        slot.pendingClose.cancel(false);
        slot.pendingClose = null;
      }
    }
    try {
      return new EngineLease(slot, slot.engine(localModel));
    } catch (RuntimeException | Error e) {
      release(slot);
      throw e;
    }
  }

  private static Path localize(EngineKey key, Configuration conf) {
    try {
      return ModelCache.defaultCache().localize(key.modelUri(), conf, key.expectedSha256());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot fetch model " + key.modelUri() + ": " + e.getMessage(), e);
    }
  }

  static void release(Slot slot) {
    synchronized (LOCK) {
      if (--slot.refs > 0) {
        return;
      }
      long timeout = idleTimeoutMillis();
      if (timeout > 0) {
        slot.pendingClose = REAPER.schedule(() -> closeIfIdle(slot), timeout, TimeUnit.MILLISECONDS);
        return;
      }
    }
    closeIfIdle(slot);
  }

  private static void closeIfIdle(Slot slot) {
    synchronized (LOCK) {
      if (slot.refs > 0 || SLOTS.get(slot.key) != slot) {
        return;
      }
      SLOTS.remove(slot.key);
    }
    slot.close();
  }

  /** Closes every engine, leased or not: for JVM shutdown and between test classes. */
  public static void closeAll() {
    List<Slot> slots;
    synchronized (LOCK) {
      slots = new ArrayList<>(SLOTS.values());
      SLOTS.clear();
    }
    slots.forEach(Slot::close);
  }

  /** How many engines this JVM holds open now. */
  public static int openEngines() {
    synchronized (LOCK) {
      return (int) SLOTS.values().stream().filter(Slot::isOpen).count();
    }
  }

  private static long idleTimeoutMillis() {
    String value = System.getProperty(IDLE_TIMEOUT_PROPERTY);
    org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
    if (value == null && env != null) {
      value = env.conf().get("spark.ember.engine.idleTimeoutMs", null);
    }
    return value == null ? DEFAULT_IDLE_TIMEOUT_MS : Long.parseLong(value.trim());
  }

  /** One engine and its reference count; the count is guarded by LOCK, the engine by the slot. */
  static final class Slot {
    private final EngineKey key;
    private int refs;
    private ScheduledFuture<?> pendingClose;
    private Engine engine;
    private Path model; // the local copy the engine maps, held in the ModelCache until the engine closes
    private boolean closed;

    Slot(EngineKey key) {
      this.key = key;
    }

    synchronized Engine engine(Supplier<Path> localModel) {
      if (closed) {
        throw new IllegalStateException("engine for " + key.modelUri() + " was closed");
      }
      if (engine != null && engine.failure() != null) {
        // A failed engine refuses every request; the next task gets a fresh one.
        LOG.warn("engine for {} failed ({}); reopening it", key.modelUri(), engine.failure());
        try {
          engine.close();
        } catch (RuntimeException e) {
          LOG.warn("closing the failed engine for {} failed", key.modelUri(), e);
        }
        engine = null;
        releaseModel();
      }
      if (engine == null) {
        long start = System.nanoTime();
        model = localModel.get();
        try {
          engine = Engine.open(model, key.options());
        } catch (RuntimeException | Error e) {
          releaseModel();
          throw e;
        }
        boolean vector = vectorKernels();
        LOG.info(
            "opened engine for {} ({}) with {} threads, {} kernels, in {} ms",
            key.modelUri(), engine.describe(), key.options().threads(), vector ? "vector" : "scalar",
            (System.nanoTime() - start) / 1_000_000);
        if (!vector) {
          LOG.warn(
              "the engine runs its scalar kernels (about 4x slower): this JVM lacks --add-modules=jdk.incubator.vector;"
                  + " add it to spark.executor.extraJavaOptions and spark.driver.extraJavaOptions (see spark-conf/spark-defaults.conf)");
        }
      }
      return engine;
    }

    synchronized boolean isOpen() {
      return engine != null;
    }

    synchronized void close() {
      closed = true;
      if (engine != null) {
        try {
          engine.close();
          LOG.info("closed engine for {}", key.modelUri());
        } catch (RuntimeException e) {
          LOG.warn("closing engine for {} failed", key.modelUri(), e);
        }
        engine = null;
        releaseModel();
      }
    }

    /** Lets the model cache evict the copy once no engine of any JVM maps it. */
    private void releaseModel() {
      if (model != null) {
        ModelCache.defaultCache().release(model);
        model = null;
      }
    }
  }
}
