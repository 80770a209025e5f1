package dev.ember.spark.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.SamplingParams;
import dev.ember.spark.SparkTestBase;

/**
 * The assembly jar as a user ships it: real SparkSubmit, in a JVM whose classpath holds only what a
 * Spark installation has (the test classpath without Ember's classes and Ember-only dependencies),
 * on a real standalone cluster whose Master, Worker and executors see the same Spark-only jars.
 * Ember reaches the driver and the executors only through the assembly. Runs after package (failsafe).
 */
class AssemblyIT extends SparkTestBase {
  /** Ember's own classes and the dependencies only Ember brings (the assembly has them relocated). */
  private static final List<String> EMBER_ONLY =
      List.of("/ember-engine", "/ember-connector", "/ember-spark-assembly", "/jinjava/", "/jackson-datatype-jdk8/",
          "/big-math/", "/algebra/", "/immutables-exceptions/", "/hubspot-style/", "/immutable-collection-encodings/",
          "/org/immutables/", "/derive4j", "/re2j/", "/commons-net/", "/java-ipv6/", "/findbugs/annotations/",
          "/junit", "/opentest4j/", "/apiguardian/", "/hadoop-client-minicluster/", "/surefire", "/failsafe");

  @TempDir Path dir;

  static Path assembly() {
    Path jar = Path.of(System.getProperty("ember.assembly.jar", "target/ember-spark-assembly.jar"));
    assertTrue(Files.isRegularFile(jar), "assembly not built: " + jar);
    return jar;
  }

  static String sparkOnlyClassPath() {
    String full = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> kept = new ArrayList<>();
    for (String entry : full.split(File.pathSeparator)) {
      boolean emberOnly = Files.isDirectory(Path.of(entry)) || EMBER_ONLY.stream().anyMatch(entry::contains);
      if (!emberOnly && entry.endsWith(".jar")) {
        kept.add(entry);
      }
    }
    return String.join(File.pathSeparator, kept);
  }

  @Test
  void holdsEmberAndRelocatedDependenciesButNoSparkHadoopArrowJacksonOrScala() throws Exception {
    try (JarFile jar = new JarFile(assembly().toFile())) {
      List<String> names = jar.stream().map(e -> e.getName()).toList();
      for (String forbidden : List.of("org/apache/spark/", "org/apache/hadoop/", "org/apache/arrow/", "com/fasterxml/", "scala/",
          "org/slf4j/", "com/hubspot/", "com/google/")) {
        assertTrue(names.stream().noneMatch(n -> n.startsWith(forbidden)), "assembly must not hold " + forbidden);
      }
      for (String needed : List.of("dev/ember/spark/job/EmberJob.class", "dev/ember/engine/api/Engine.class",
          "dev/ember/engine/chat/ChatTemplate.class", "META-INF/services/org.apache.spark.sql.sources.DataSourceRegister")) {
        assertTrue(names.contains(needed), "assembly must hold " + needed);
      }
    }
    assertTrue(sparkOnlyClassPath().contains("spark-core_2.13"));
    assertTrue(!sparkOnlyClassPath().contains("ember-engine") && !sparkOnlyClassPath().contains("jinjava"));
  }

  @Test
  void sparkSubmitWithOnlySparksJarsAndTheAssemblyOnAStandaloneCluster() throws Exception {
    String classPath = sparkOnlyClassPath();
    Path input = Path.of(System.getProperty("ember.repo.dir", ".."), "examples", "data", "prompts.jsonl");
    Path output = dir.resolve("out");
    try (StandaloneCluster cluster = new StandaloneCluster(Files.createDirectories(dir.resolve("cluster")), 1, 2, "2g", classPath)) {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(Arrays.asList(System.getProperty("ember.jvm.flags").trim().split("\\s+")));
      command.addAll(List.of("-Xmx1g", "-cp", classPath, "org.apache.spark.deploy.SparkSubmit",
          "--master", cluster.masterUrl(),
          "--conf", "spark.driver.host=127.0.0.1",
          "--conf", "spark.ui.enabled=false",
          "--conf", "spark.executor.memory=1g",
          "--conf", "spark.executor.extraJavaOptions=" + cluster.executorJavaOptions(),
          "--class", "dev.ember.spark.job.EmberJob",
          assembly().toString(),
          "--model", storiesModel().toString(), "--input", input.toString(), "--output", output.toString(),
          "--max-tokens", "8", "--threads", "1", "--progress-seconds", "0"));
      Path log = dir.resolve("submit.log");
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      boolean done = p.waitFor(300, TimeUnit.SECONDS);
      String text = Files.readString(log);
      if (!done) {
        p.destroyForcibly();
      }
      assertTrue(done, "spark-submit timed out:\n" + text + cluster.logs());
      assertEquals(0, p.exitValue(), text + cluster.logs());
      assertTrue(text.contains("EMBER_JOB task=generate master=" + cluster.masterUrl() + " rows=22 errors=2"), text);
    }
    List<Row> rows = spark.read().json(output.toString()).select("id", "prompt", "ember.*").orderBy("id").collectAsList();
    assertEquals(22, rows.size());
    try (Engine engine = Engine.open(storiesModel(), EngineOptions.defaults().withThreads(1))) {
      for (Row row : rows) {
        String prompt = row.getAs("prompt");
        if (prompt == null || prompt.isEmpty()) {
          assertEquals(prompt == null ? "prompt is null" : "prompt is empty", row.getAs("error"), row.toString());
          continue;
        }
        assertNull(row.getAs("error"), row.toString());
        String expected = engine.submit(Request.ofText("x", prompt, SamplingParams.greedy(8))).join().text();
        assertEquals(expected, row.getAs("text"), "row " + row.getAs("id"));
      }
    }
  }
}
