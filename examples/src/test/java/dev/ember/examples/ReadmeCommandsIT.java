package dev.ember.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * Every shell command in README.md and connector/README.md, run as written from the repository
 * root through bash, after the build has packaged every module (so {@code ./ember} finds its jars
 * and classpath files; {@code EMBER_NO_BUILD=1} makes it fail rather than start a Maven build of
 * its own, should a source be newer than a jar). A command fails the test when it exits
 * non-zero, or when the README shows its output in a trailing {@code #  result} comment and the
 * output does not contain it. Commands that cannot run here are listed in {@link #SKIPPED}, each
 * with the reason; a README command that matches no rule runs, so a new command is tested by
 * default, and a skip rule that matches nothing fails (a stale list).
 */
class ReadmeCommandsIT {
  /** Pattern on the command (continuation lines joined) → why it cannot run here. */
  static final Map<Pattern, String> SKIPPED = new LinkedHashMap<>();

  static {
    skip("^\\./ember test\\b", "the test suite itself (CI runs it through .ci/run; this test runs inside it)");
    skip("^\\./ember package\\b", "a Maven build of the connector; the build running this test made the same jar, and AssemblyIT checks it");
    skip("^tools/fuzz-all\\.sh\\b", "every fuzz target for 1,000,000 executions: hours of CPU; CI runs each for 15 s in mvn verify");
    skip("^JAZZER_FUZZ=1 mvn ", "a long fuzzing run (1,000,000 executions per target); CI runs every fuzz target for 15 s in mvn verify");
    skip("^\\./ember synth --preset qwen3-0\\.6b ", "writes a 640 MB model for the benchmark below");
    skip("^\\./ember bench ", "a benchmark: minutes of CPU, figures meaningless on a shared machine");
    skip("^\\./ember embed --model path/to/", "a sentence-transformers folder the user downloads; EmbedCommandTest runs the same commands on a tiny BERT folder");
    skip("^EMBER_JAVA_OPTS=\\S+ \\./ember load-run ", "the load run: a 1,000,000-row Spark job, tens of minutes of CPU (EngineOpenCloseLeakTest is the fast part)");
    skip("--input /tmp/ember-bench\\.jsonl ", "the Spark benchmark: 10,000 rows, minutes of CPU, figures meaningless on a shared machine");
    skip("^\\$SPARK_HOME/bin/spark-submit ", "needs a Spark installation, a cluster at HOST and HDFS; AssemblyIT runs this line with Spark's jars on a standalone cluster");
    skip("^pyspark ", "no PySpark here; TestSparkConnect runs the SQL and format(\"ember\") calls through the JVM Connect client");
    skip("^\\$SPARK_HOME/sbin/start-connect-server\\.sh ", "needs a Spark installation; TestSparkConnect starts the same server (SparkConnectPlugin) from Maven jars");
  }

  private static void skip(String regex, String reason) {
    SKIPPED.put(Pattern.compile(regex), reason);
  }

  record Command(String readme, int line, String text, List<String> assignments, String expected) {}

  /** The commands of a README's ```bash blocks: continuation lines joined, comments dropped, the block's earlier VAR=value lines kept. */
  static List<Command> commands(Path repo, String name) throws Exception {
    Path readme = repo.resolve(name);
    List<Command> out = new ArrayList<>();
    List<String> lines = Files.readAllLines(readme, StandardCharsets.UTF_8);
    boolean inBlock = false;
    List<String> assignments = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.startsWith("```")) {
        inBlock = !inBlock && line.matches("```(bash|sh|shell)\\s*");
        assignments = new ArrayList<>();
        continue;
      }
      if (!inBlock || line.isBlank() || line.strip().startsWith("#")) {
        continue;
      }
      int start = i;
      StringBuilder text = new StringBuilder(line.strip());
      while (text.toString().endsWith("\\") && i + 1 < lines.size()) {
        text.setLength(text.length() - 1);
        text.append(' ').append(lines.get(++i).strip());
      }
      String command = text.toString();
      if (command.matches("[A-Za-z_][A-Za-z0-9_]*=\\S.*") && !command.contains(" ./") && !command.contains(" mvn ")) {
        assignments.add(command);
        continue;
      }
      out.add(new Command(name, start + 1, command, List.copyOf(assignments), expected(command)));
    }
    return out;
  }

  /** The output a README shows after the command as {@code #  result} (two spaces, no "..." elision), or null. */
  static String expected(String command) {
    Matcher m = Pattern.compile("\\s#  (\\S.*)$").matcher(command);
    if (!m.find() || m.group(1).contains("...")) {
      return null;
    }
    return m.group(1).strip();
  }

  @Test
  void everyReadmeCommandRunsAsWritten() throws Exception {
    Path repo = Path.of(System.getProperty("ember.repo.dir", "..")).toAbsolutePath().normalize();
    List<Command> commands = new ArrayList<>(commands(repo, "README.md"));
    commands.addAll(commands(repo, "connector/README.md"));
    assertTrue(commands.size() >= 10, "README commands found: " + commands);
    Map<Pattern, Integer> used = new LinkedHashMap<>();
    List<String> failures = new ArrayList<>();
    int ran = 0;
    for (Command c : commands) {
      String reason = null;
      for (Map.Entry<Pattern, String> rule : SKIPPED.entrySet()) {
        if (rule.getKey().matcher(c.text()).find()) {
          reason = rule.getValue();
          used.merge(rule.getKey(), 1, Integer::sum);
          break;
        }
      }
      String where = c.readme() + ":" + c.line();
      if (reason != null) {
        System.out.println("README_COMMAND skipped " + where + " " + c.text() + "\n    because: " + reason);
        continue;
      }
      if (Boolean.getBoolean("ember.readme.list")) { // -Dember.readme.list=true: list and check the skip rules only
        System.out.println("README_COMMAND would run " + where + " " + c.text() + (c.expected() == null ? "" : "\n    expecting: " + c.expected()));
        continue;
      }
      ran++;
      String script = String.join("\n", c.assignments()) + "\n" + c.text() + "\n";
      ProcessBuilder pb = new ProcessBuilder("bash", "-c", script).directory(repo.toFile()).redirectErrorStream(true);
      pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
      // The build that runs this test has packaged every jar: ./ember must not start a Maven build of its own.
      pb.environment().put("EMBER_NO_BUILD", "1");
      Path log = Files.createTempFile("readme-command", ".log");
      pb.redirectOutput(log.toFile());
      long start = System.nanoTime();
      Process p = pb.start();
      boolean done = p.waitFor(600, TimeUnit.SECONDS);
      if (!done) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
      String output = Files.readString(log);
      Files.delete(log);
      double seconds = (System.nanoTime() - start) / 1e9;
      String tail = output.length() > 4000 ? output.substring(output.length() - 4000) : output;
      if (!done) {
        failures.add(where + " timed out: " + c.text() + "\n" + tail);
      } else if (p.exitValue() != 0) {
        failures.add(where + " exited " + p.exitValue() + ": " + c.text() + "\n" + tail);
      } else if (c.expected() != null && !output.contains(c.expected())) {
        failures.add(where + " printed no '" + c.expected() + "' (the README's shown output): " + c.text() + "\n" + tail);
      }
      System.out.printf(java.util.Locale.ROOT, "README_COMMAND ran %s (%.1f s, exit %s) %s%n", where, seconds, done ? p.exitValue() : "timeout", c.text());
    }
    for (Pattern rule : SKIPPED.keySet()) {
      assertTrue(used.containsKey(rule), "skip rule matches no README command (remove it): " + rule);
    }
    if (Boolean.getBoolean("ember.readme.list")) {
      return;
    }
    if (!failures.isEmpty()) {
      fail(failures.size() + " README command(s) failed:\n" + String.join("\n\n", failures));
    }
    assertTrue(ran >= 8, "README commands run: " + ran);
    assertEquals(0, failures.size());
  }
}
