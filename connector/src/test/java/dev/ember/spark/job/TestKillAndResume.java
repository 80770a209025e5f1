package dev.ember.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.SamplingParams;
import dev.ember.spark.SparkTestBase;

/**
 * A job killed midway and resumed, for real: {@link EmberJob} runs in a child JVM (local[2],
 * {@value #PARTITIONS} partitions of {@value #ROWS_PER_PARTITION} rows, {@code --id-column id});
 * the test watches the output directory and kills the JVM with SIGKILL once 60 % of the partitions
 * are committed. A second run with {@code --resume} must keep what the first one committed, run
 * exactly the rows of the uncommitted partitions, and end with every id exactly once, each row
 * equal to the engine's own completion. The work done twice is that of the partitions in flight
 * at the kill (at most the 2 task slots of local[2]); the test prints the figures as one
 * {@code EMBER_RESUME_TEST} line.
 */
class TestKillAndResume extends SparkTestBase {
  private static final int PARTITIONS = 10;
  private static final int ROWS_PER_PARTITION = 40;
  private static final int ROWS = PARTITIONS * ROWS_PER_PARTITION;
  private static final int MAX_TOKENS = 24;
  private static final Pattern STARTING = Pattern.compile("Starting task (\\d+)\\.\\d+ in stage (\\d+)\\.\\d+");
  private static final Pattern JOB_LINE = Pattern.compile("EMBER_JOB .*resumed_rows=(\\d+) computed_rows=(\\d+) status=(\\w+)");

  @TempDir Path dir;

  @Test
  void aJobKilledAt60PercentResumesWithEveryIdOnceAndRecomputesOnlyThePartitionsInFlight() throws Exception {
    StringBuilder lines = new StringBuilder();
    for (int i = 1; i <= ROWS; i++) {
      lines.append("{\"id\": ").append(i).append(", \"prompt\": \"").append(prompt(i)).append("\"}\n");
    }
    Path input = Files.writeString(dir.resolve("prompts.jsonl"), lines);
    Path out = dir.resolve("out");

    // Run 1: killed (SIGKILL) when 60 % of the partitions are committed.
    Process first = job(input, out, false, dir.resolve("first.log"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
    while (committedParts(out).size() < PARTITIONS * 6 / 10 && first.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(first.isAlive(), "the job ended before it could be killed at 60 %:\n" + Files.readString(dir.resolve("first.log")));
    first.descendants().forEach(ProcessHandle::destroyForcibly);
    first.destroyForcibly(); // SIGKILL: no shutdown hook, no job abort, no cleanup
    first.onExit().join();
    List<Path> committed = committedParts(out);
    int inFlight = inFlight(Files.readString(dir.resolve("first.log")), committed);
    long kept = 0;
    for (Path part : committed) {
      long n = Files.readAllLines(part).stream().filter(l -> !l.isBlank()).count();
      assertEquals(ROWS_PER_PARTITION, n, "a committed part holds its whole partition: " + part);
      kept += n;
    }
    assertTrue(committed.size() >= PARTITIONS * 6 / 10 && committed.size() < PARTITIONS,
        "killed midway: " + committed.size() + " of " + PARTITIONS + " partitions committed");
    assertTrue(inFlight <= 2, "local[2] runs at most 2 tasks at once, found " + inFlight + " started and uncommitted");

    // Run 2: --resume.
    Path secondLog = dir.resolve("second.log");
    Process second = job(input, out, true, secondLog);
    assertTrue(second.waitFor(300, TimeUnit.SECONDS), "resumed job timed out");
    String text = Files.readString(secondLog);
    assertEquals(0, second.exitValue(), text);
    Matcher m = JOB_LINE.matcher(text);
    assertTrue(m.find(), text);
    long resumed = Long.parseLong(m.group(1));
    long computed = Long.parseLong(m.group(2));
    assertEquals("ok", m.group(3), text);
    assertEquals(kept, resumed, "the resumed run keeps exactly what the killed run committed");
    assertEquals(ROWS - kept, computed, "the resumed run computes only the rows that are not in the output");

    List<Row> rows = spark.read().json(out.toString()).select("id", "prompt", "ember.text", "ember.error").collectAsList();
    Map<Long, Integer> seen = new HashMap<>();
    rows.forEach(r -> seen.merge(r.getLong(0), 1, Integer::sum));
    assertEquals(ROWS, rows.size(), "rows in the output");
    for (long id = 1; id <= ROWS; id++) {
      assertEquals(1, seen.getOrDefault(id, 0), "id " + id + " exactly once");
    }
    try (Engine engine = Engine.open(storiesModel(), EngineOptions.defaults().withThreads(1))) {
      for (Row r : rows) {
        assertNull(r.get(3), r.toString());
        assertEquals(engine.submit(Request.ofText("x", r.getString(1), SamplingParams.greedy(MAX_TOKENS))).join().text(), r.get(2),
            "row " + r.getLong(0));
      }
    }
    long recomputedRows = (long) inFlight * ROWS_PER_PARTITION;
    System.out.printf(java.util.Locale.ROOT,
        "EMBER_RESUME_TEST rows=%d partitions=%d killed_with_committed_partitions=%d in_flight_partitions=%d kept_rows=%d"
            + " resumed_run_computed_rows=%d never_started_rows=%d recomputed_rows=%d recomputed_fraction=%.3f%n",
        ROWS, PARTITIONS, committed.size(), inFlight, kept, computed, computed - recomputedRows, recomputedRows,
        (double) recomputedRows / ROWS);
  }

  private static String prompt(int i) {
    String[] starts = {"Once upon a time", "Lily went to the park", "The little dog", "One day, Tom", "She was happy"};
    return starts[i % starts.length] + " " + i;
  }

  private Process job(Path input, Path out, boolean resume, Path log) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(Arrays.asList(System.getProperty("ember.jvm.flags").trim().split("\\s+")));
    command.addAll(List.of("-Xmx1g", "-Dlog4j2.configurationFile=" + logConfig().toUri(),
        // A SIGKILLed JVM runs no shutdown hook: keep its scratch files in the test's directory.
        "-Dspark.local.dir=" + Files.createDirectories(dir.resolve("spark-local")), "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))));
    command.addAll(List.of(
        EmberJob.class.getName(), "--master", "local[2]", "--model", storiesModel().toString(), "--input", input.toString(),
        "--output", out.toString(), "--max-tokens", Integer.toString(MAX_TOKENS), "--threads", "1",
        "--partitions", Integer.toString(PARTITIONS), "--id-column", "id", "--progress-seconds", "0"));
    if (resume) {
      command.add("--resume");
    }
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** Part files published in the output directory (the committer's algorithm 2 publishes each at task commit). */
  private static List<Path> committedParts(Path out) throws Exception {
    if (!Files.isDirectory(out)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(out)) {
      return files.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList();
    }
  }

  /**
   * Write tasks that had started but not committed when the job died: the scheduler's "Starting
   * task N" lines of the last stage (the write) whose partition N has no published part file. A
   * task's part file appears only when its first row is written, so the output directory alone
   * would miss tasks that were still computing their first rows.
   */
  private static int inFlight(String log, List<Path> committed) {
    Matcher m = STARTING.matcher(log);
    Map<Integer, java.util.Set<Integer>> started = new HashMap<>();
    int lastStage = -1;
    while (m.find()) {
      int stage = Integer.parseInt(m.group(2));
      started.computeIfAbsent(stage, k -> new java.util.TreeSet<>()).add(Integer.parseInt(m.group(1)));
      lastStage = Math.max(lastStage, stage);
    }
    assertTrue(lastStage >= 0, "no task start in the killed job's log:\n" + log);
    java.util.Set<Integer> running = new java.util.TreeSet<>(started.get(lastStage));
    for (Path part : committed) {
      running.remove(Integer.parseInt(part.getFileName().toString().substring("part-".length(), "part-".length() + 5)));
    }
    return running.size();
  }

  /** Logs the scheduler's task starts at INFO in the job's JVM (the tests' log4j2 config keeps Spark at WARN). */
  private Path logConfig() throws Exception {
    return Files.writeString(dir.resolve("log4j2-job.properties"), String.join("\n",
        "rootLogger.level = warn", "rootLogger.appenderRef.stdout.ref = console",
        "appender.console.type = Console", "appender.console.name = console", "appender.console.target = SYSTEM_ERR",
        "appender.console.layout.type = PatternLayout", "appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n%ex",
        "logger.ember.name = dev.ember", "logger.ember.level = info",
        "logger.tasks.name = org.apache.spark.scheduler.TaskSetManager", "logger.tasks.level = info", ""));
  }
}
