package dev.ember.spark;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * One local[2] SparkSession per test class, in the style of Iceberg's Spark TestBase. Surefire
 * runs all classes in one reused fork, and Spark allows one SparkContext per JVM, so the session
 * is stopped after each class and the next class starts a fresh one.
 */
public abstract class SparkTestBase {
  protected static SparkSession spark;

  @BeforeAll
  public static void startSpark() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("ember-test")
            // The machine's hostname may not resolve; loopback keeps the driver reachable.
            .config("spark.driver.host", InetAddress.getLoopbackAddress().getHostAddress())
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.default.parallelism", "2")
            // Tables a test saves go to a temporary directory, not ./spark-warehouse in the module.
            .config("spark.sql.warehouse.dir", warehouse().toString())
            .getOrCreate();
  }

  private static Path warehouse() {
    try {
      Path dir = Files.createTempDirectory("ember-test-warehouse");
      dir.toFile().deleteOnExit();
      return dir;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @AfterAll
  public static void stopSpark() {
    if (spark != null) {
      spark.stop();
      spark = null;
    }
    // local mode runs "executors" in this JVM: drop their engines before the next class.
    dev.ember.spark.executor.ExecutorEngines.closeAll();
  }

  /** ../shared, as surefire passes it; falls back to the layout next to the repository. */
  public static Path sharedDir() {
    String dir = System.getProperty("ember.shared.dir");
    return dir != null ? Paths.get(dir) : Paths.get("..", "..", "shared").toAbsolutePath();
  }

  /** The tiny trained Llama every connector test runs on. */
  public static Path storiesModel() {
    Path model = sharedDir().resolve("models").resolve("stories260K.gguf").normalize();
    if (!Files.isRegularFile(model)) {
      throw new IllegalStateException("test model missing: " + model);
    }
    return model;
  }
}
