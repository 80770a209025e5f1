package dev.ember.spark.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.api.Request;
import dev.ember.spark.SparkTestBase;

/** The per-JVM engine registry, on the real engine and the real test model. */
class TestExecutorEngines {
  private static final EngineOptions OPTIONS = EngineOptions.defaults().withThreads(1);

  @AfterEach
  void closeEngines() {
    System.clearProperty(ExecutorEngines.IDLE_TIMEOUT_PROPERTY);
    ExecutorEngines.closeAll();
  }

  private static EngineKey key(EngineOptions options) {
    return new EngineKey(SparkTestBase.storiesModel().toString(), null, options);
  }

  @Test
  void tasksShareOneEngineAndItClosesWhenIdle() throws Exception {
    System.setProperty(ExecutorEngines.IDLE_TIMEOUT_PROPERTY, "300");
    EngineLease a = ExecutorEngines.acquire(key(OPTIONS), Configuration::new);
    EngineLease b = ExecutorEngines.acquire(key(OPTIONS), Configuration::new);
    assertSame(a.engine(), b.engine());
    assertEquals(1, ExecutorEngines.openEngines());

    Result r = a.engine().submit(Request.ofText("r", "Once upon a time", SamplingParams.greedy(8))).join();
    assertTrue(r.ok(), r.error());

    a.close();
    a.close(); // idempotent: must not release b's hold
    b.close();
    assertEquals(1, ExecutorEngines.openEngines(), "kept open during the idle timeout");
    waitUntilClosed();
  }

  @Test
  void reacquiringWithinTheIdleTimeoutKeepsTheEngine() throws Exception {
    System.setProperty(ExecutorEngines.IDLE_TIMEOUT_PROPERTY, "500");
    EngineLease first = ExecutorEngines.acquire(key(OPTIONS), Configuration::new);
    var engine = first.engine();
    first.close();
    try (EngineLease second = ExecutorEngines.acquire(key(OPTIONS), Configuration::new)) {
      assertSame(engine, second.engine());
      Thread.sleep(800); // past the first timeout: the pending close was cancelled
      assertEquals(1, ExecutorEngines.openEngines());
    }
    waitUntilClosed();
  }

  @Test
  void differentOptionsGetDifferentEngines() {
    System.setProperty(ExecutorEngines.IDLE_TIMEOUT_PROPERTY, "0");
    try (EngineLease a = ExecutorEngines.acquire(key(OPTIONS), Configuration::new);
        EngineLease b = ExecutorEngines.acquire(key(OPTIONS.withMaxSequences(4)), Configuration::new)) {
      assertNotSame(a.engine(), b.engine());
      assertEquals(2, ExecutorEngines.openEngines());
    }
    assertEquals(0, ExecutorEngines.openEngines(), "timeout 0 closes at once");
  }

  @Test
  void missingModelFailsAndLeavesNothingOpen() {
    EngineKey missing = new EngineKey("/no/such/model.gguf", null, OPTIONS);
    UncheckedIOException e =
        assertThrows(UncheckedIOException.class, () -> ExecutorEngines.acquire(missing, Configuration::new));
    assertTrue(e.getMessage().contains("model not found"), e.getMessage());
    assertEquals(0, ExecutorEngines.openEngines());
  }

  @Test
  void aFileThatIsNotAModelFailsToOpen(@TempDir Path dir) throws Exception {
    Path junk = Files.writeString(dir.resolve("junk.gguf"), "not a model");
    EngineKey key = new EngineKey(junk.toString(), null, OPTIONS);
    assertThrows(RuntimeException.class, () -> ExecutorEngines.acquire(key, Configuration::new));
    assertEquals(0, ExecutorEngines.openEngines());
  }

  @Test
  void threadsComeFromExecutorCores() {
    assertEquals(4, ExecutorCores.engineThreads(new SparkConf(false).set("spark.executor.cores", "4")));
    assertEquals(3, ExecutorCores.engineThreads(new SparkConf(false).set("spark.master", "local[3]")));
    assertEquals(1, ExecutorCores.engineThreads(new SparkConf(false).set("spark.master", "local")));
    // spark-defaults.conf's executor cores are for the cluster: in local mode local[N] decides.
    assertEquals(2, ExecutorCores.engineThreads(new SparkConf(false).set("spark.master", "local[2]").set("spark.executor.cores", "4")));
    assertEquals(2, ExecutorCores.concurrentTasks(
        new SparkConf(false).set("spark.executor.cores", "4").set("spark.task.cpus", "2")));
    assertEquals(
        Runtime.getRuntime().availableProcessors(),
        ExecutorCores.engineThreads(new SparkConf(false).set("spark.master", "local[*]")));
  }

  private static void waitUntilClosed() throws InterruptedException {
    long deadline = System.currentTimeMillis() + 5_000;
    while (ExecutorEngines.openEngines() > 0 && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    assertFalse(ExecutorEngines.openEngines() > 0, "engine still open after the idle timeout");
  }
}
