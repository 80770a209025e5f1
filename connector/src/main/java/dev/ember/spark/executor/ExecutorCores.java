package dev.ember.spark.executor;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;

/**
 * Sizes the engine's compute pool from the executor's cores.
 *
 * <p>All tasks of an executor share one engine and only feed it requests and wait, so the engine
 * gets every core of the executor ({@code spark.executor.cores}); the number of tasks feeding it
 * at once is {@code spark.executor.cores / spark.task.cpus}. In local mode the driver is the
 * executor and its core count comes from the master string, {@code local[N]}.
 */
public final class ExecutorCores {
  private static final Pattern LOCAL_N = Pattern.compile("local\\[(\\d+|\\*)(?:,\\s*\\d+)?]");

  private ExecutorCores() {}

  /** Engine threads for this JVM: the executor's cores, or the machine's when Spark is absent. */
  public static int engineThreads() {
    SparkEnv env = SparkEnv.get();
    return env == null ? availableCores() : engineThreads(env.conf());
  }

  static int engineThreads(SparkConf conf) {
    // In local mode the one "executor" is the driver and its cores are local[N]'s, whatever
    // spark.executor.cores a shared spark-defaults.conf says for the cluster.
    String master = conf.get("spark.master", "");
    if (master.equals("local")) {
      return 1;
    }
    Matcher m = LOCAL_N.matcher(master);
    if (m.matches()) {
      return m.group(1).equals("*") ? availableCores() : Math.max(1, Integer.parseInt(m.group(1)));
    }
    if (conf.contains("spark.executor.cores")) {
      return Math.max(1, conf.getInt("spark.executor.cores", 1));
    }
    return availableCores();
  }

  /** How many tasks run at once on one executor, each feeding the shared engine. */
  static int concurrentTasks(SparkConf conf) {
    int taskCpus = Math.max(1, conf.getInt("spark.task.cpus", 1));
    return Math.max(1, engineThreads(conf) / taskCpus);
  }

  private static int availableCores() {
    return Math.max(1, Runtime.getRuntime().availableProcessors());
  }
}
