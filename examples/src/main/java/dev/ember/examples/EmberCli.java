package dev.ember.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code ./ember spark-job} and {@code ./ember demo} run (the launcher puts the project's
 * jars, Spark included, on the classpath and passes the JVM flags).
 *
 * <ul>
 *   <li>{@code spark-job [--master URL] [--conf k=v]... [--properties-file F] JOB_FLAGS...}: runs
 *       {@code dev.ember.spark.job.EmberJob} through real {@code org.apache.spark.deploy.SparkSubmit}
 *       in this JVM (client mode), so no Spark installation is needed. {@code --master} defaults to
 *       {@code local[2]}; every other flag goes to the job (see its usage).
 *   <li>{@code demo [MODEL [DATA_DIR]]}: generate, score and classify with Ember's shipped
 *       model over examples/data ({@link DemoJob}).
 *   <li>{@code bench-score [MODEL [DATA_DIR [ROWS]]]}: rows/s of score and classify, one request
 *       in flight per task against the default window ({@link ScoreClassifyBench}).
 *   <li>{@code load-run [MODEL [ROWS [WORKDIR]]]}: the load run, a generate job over 1,000,000
 *       prompts through {@code spark-job} in local[2] with heap, file descriptors and threads
 *       sampled ({@link LoadRun}).
 * </ul>
 */
public final class EmberCli {
  static final String JOB_CLASS = "dev.ember.spark.job.EmberJob";

  private EmberCli() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println("usage: ember spark-job [--master URL] [--conf k=v]... JOB_FLAGS... | ember demo [MODEL [DATA_DIR]] | ember bench-score [MODEL [DATA_DIR [ROWS]]] | ember load-run [MODEL [ROWS [WORKDIR]]]");
      System.exit(2);
    }
    List<String> rest = List.of(args).subList(1, args.length);
    quietLogging();
    switch (args[0]) {
      case "spark-job" -> org.apache.spark.deploy.SparkSubmit.main(sparkSubmitArgs(rest).toArray(new String[0]));
      case "demo" -> demo(rest);
      case "bench-score" -> benchScore(rest);
      case "load-run" -> LoadRun.main(rest.toArray(new String[0]));
      default -> {
        System.err.println("ember: unknown command " + args[0]);
        System.exit(2);
      }
    }
  }

  /** SparkSubmit's arguments: its own options first, then the app resource, then the job's flags. */
  static List<String> sparkSubmitArgs(List<String> args) {
    List<String> submit = new ArrayList<>();
    List<String> job = new ArrayList<>();
    String master = "local[2]";
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      boolean hasValue = i + 1 < args.size();
      if (a.equals("--master") && hasValue) {
        master = args.get(++i);
      } else if ((a.equals("--conf") || a.equals("--properties-file")) && hasValue) {
        submit.add(a);
        submit.add(args.get(++i));
      } else {
        job.add(a);
      }
    }
    List<String> out = new ArrayList<>(List.of("--master", master));
    out.addAll(submit);
    // The job's classes are already on this JVM's classpath: "spark-internal" tells SparkSubmit
    // there is no application jar to add.
    out.addAll(List.of("--class", JOB_CLASS, "spark-internal"));
    out.addAll(job);
    return out;
  }

  /** Ember's shipped model over examples/data: generate, score and classify (see {@link DemoJob}). */
  private static void demo(List<String> args) throws Exception {
    Path root = repoRoot();
    String model = args.size() > 0 ? args.get(0) : root.resolve("examples/models/ember-v4-story.gguf").toString();
    String data = args.size() > 1 ? args.get(1) : root.resolve("examples/data").toString();
    DemoJob.main(new String[] {model, data});
  }

  /** {@link ScoreClassifyBench} with the shipped model and examples/data unless given. */
  private static void benchScore(List<String> args) throws Exception {
    Path root = repoRoot();
    String model = args.size() > 0 ? args.get(0) : root.resolve("examples/models/ember-v4-story.gguf").toString();
    String data = args.size() > 1 ? args.get(1) : root.resolve("examples/data").toString();
    String rows = args.size() > 2 ? args.get(2) : "2000";
    ScoreClassifyBench.main(new String[] {model, data, rows});
  }

  /**
   * Spark logs every stage at INFO by default; use the project's log4j2 config (WARN, Ember at
   * INFO) unless the caller chose one. Must run before Spark initialises logging.
   */
  private static void quietLogging() throws Exception {
    Path config = repoRoot().resolve("spark-conf/log4j2.properties");
    if (System.getProperty("log4j2.configurationFile") == null && Files.isRegularFile(config)) {
      System.setProperty("log4j2.configurationFile", config.toUri().toString());
    }
  }

  /** The repository root, from where this class was loaded (examples/target/...). */
  static Path repoRoot() throws Exception {
    Path here = Path.of(EmberCli.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    for (Path p = here; p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("examples")) && Files.isDirectory(p.resolve("connector"))) {
        return p;
      }
    }
    return Path.of("").toAbsolutePath();
  }
}
