package dev.ember.spark.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ember.spark.SparkTestBase;
import dev.ember.spark.job.EmberJob;

/**
 * Which kernels the engine runs is said in Spark's own log (SLF4J), not only in
 * java.util.logging: the job runs in two real JVMs, one with the flags a Spark deployment gets and
 * one without {@code --add-modules=jdk.incubator.vector}. The first logs "vector kernels" on the
 * "opened engine" line; the second logs "scalar kernels" there plus a WARN that names the missing
 * flag and where to put it, and still completes.
 */
class TestKernelsLogLine {
  @TempDir Path dir;

  @Test
  void theOpenedEngineLineNamesTheKernelsAndTheScalarFallbackWarnsWithTheFlag() throws Exception {
    Path input = Files.writeString(dir.resolve("p.jsonl"), "{\"id\": 1, \"prompt\": \"Once upon a time\"}\n");
    List<String> flags = Arrays.asList(System.getProperty("ember.jvm.flags").trim().split("\\s+"));

    String vector = job(flags, input, "vector");
    assertTrue(vector.contains("ExecutorEngines: opened engine for ") && vector.contains(" vector kernels"), vector);
    assertTrue(!vector.contains("scalar kernels"), vector);

    List<String> withoutVectorModule = flags.stream().filter(f -> !f.equals("--add-modules=jdk.incubator.vector")).toList();
    assertEquals(flags.size() - 1, withoutVectorModule.size(), "the test flags hold the module flag: " + flags);
    String scalar = job(withoutVectorModule, input, "scalar");
    assertTrue(scalar.contains(" scalar kernels"), scalar);
    assertTrue(scalar.contains("WARN ExecutorEngines: the engine runs its scalar kernels (about 4x slower): this JVM lacks"
        + " --add-modules=jdk.incubator.vector; add it to spark.executor.extraJavaOptions and spark.driver.extraJavaOptions"), scalar);
  }

  private String job(List<String> flags, Path input, String name) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(flags);
    command.addAll(List.of("-Xmx1g", "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))));
    command.addAll(List.of(EmberJob.class.getName(), "--master", "local[1]", "--model", SparkTestBase.storiesModel().toString(),
        "--input", input.toString(), "--output", dir.resolve(name + "-out").toString(), "--max-tokens", "4", "--threads", "1",
        "--progress-seconds", "0"));
    Path log = dir.resolve(name + ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), "job timed out");
    String text = Files.readString(log);
    assertEquals(0, p.exitValue(), text);
    assertTrue(text.contains("EMBER_JOB task=generate") && text.contains("rows=1 errors=0"), text);
    return text;
  }
}
