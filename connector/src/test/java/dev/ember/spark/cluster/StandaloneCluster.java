package dev.ember.spark.cluster;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Spark standalone cluster for tests: one Master and N Workers, each its own JVM started
 * from the test classpath on 127.0.0.1, no Spark distribution needed.
 *
 * <p>Workers launch executor JVMs through Spark's launcher, which wants a {@code SPARK_HOME} with a
 * {@code jars/} folder (here: symbolic links to the classpath's jars) and
 * {@code SPARK_SCALA_VERSION=2.13}; class directories (target/classes) are not jars, so
 * {@link #executorClassPath()} lists them for {@code spark.executor.extraClassPath}. Killing a
 * Worker's process ({@link #killWorker}) takes its executor down with it: a real executor loss.
 */
public final class StandaloneCluster implements AutoCloseable {
  private final Path home;
  private final String java;
  private final List<String> jvmFlags;
  private final List<String> classDirs = new ArrayList<>();
  private final String classPath;
  private final int masterPort;
  private final int masterUiPort;
  private final Process master;
  private final List<Process> workers = new ArrayList<>();

  public StandaloneCluster(Path home, int workerCount, int coresPerWorker, String workerMemory) throws Exception {
    this(home, workerCount, coresPerWorker, workerMemory, System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
  }

  /** A cluster whose daemons and executors see only {@code classPath} (e.g. Spark's own jars, as an installation has them). */
  public StandaloneCluster(Path home, int workerCount, int coresPerWorker, String workerMemory, String classPath) throws Exception {
    this.home = home;
    this.java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    this.jvmFlags = Arrays.asList(System.getProperty("ember.jvm.flags", "").trim().split("\\s+"));
    this.classPath = classPath;
    linkJars();
    this.masterPort = freePort();
    this.masterUiPort = freePort();
    this.master =
        start(
            "master",
            List.of(
                "org.apache.spark.deploy.master.Master",
                "--host", "127.0.0.1", "--port", Integer.toString(masterPort), "--webui-port", Integer.toString(masterUiPort)));
    for (int i = 0; i < workerCount; i++) {
      Path workDir = Files.createDirectories(home.resolve("work-" + i));
      workers.add(
          start(
              "worker-" + i,
              List.of(
                  "org.apache.spark.deploy.worker.Worker",
                  "--host", "127.0.0.1",
                  "--webui-port", Integer.toString(freePort()),
                  "--cores", Integer.toString(coresPerWorker),
                  "--memory", workerMemory,
                  "--work-dir", workDir.toString(),
                  masterUrl())));
    }
    awaitAliveWorkers(workerCount, Duration.ofSeconds(120));
  }

  public String masterUrl() {
    return "spark://127.0.0.1:" + masterPort;
  }

  /** Class directories of the test classpath, for spark.executor.extraClassPath. */
  public String executorClassPath() {
    return String.join(File.pathSeparator, classDirs);
  }

  /** The JVM flags executors need, for spark.executor.extraJavaOptions. */
  public String executorJavaOptions() {
    return String.join(" ", jvmFlags);
  }

  /**
   * Kills a Worker JVM and the executor JVMs it launched (SIGKILL, by pid), as when a node dies.
   * Killing only the Worker would leave its executor finishing its running task before it notices.
   */
  public void killWorker(int index) {
    Process worker = workers.get(index);
    worker.descendants().forEach(ProcessHandle::destroyForcibly);
    worker.destroyForcibly();
    worker.onExit().join();
  }

  /** Kills the Worker (and its executors) that hosts the given executor; returns its index. */
  public int killWorkerOfExecutor(String executorId) {
    for (int i = 0; i < workers.size(); i++) {
      boolean hosts =
          workers.get(i).descendants().anyMatch(p -> {
            List<String> args = Arrays.asList(p.info().arguments().orElse(new String[0]));
            int at = args.indexOf("--executor-id");
            return at >= 0 && at + 1 < args.size() && args.get(at + 1).equals(executorId);
          });
      if (hosts) {
        killWorker(i);
        return i;
      }
    }
    throw new IllegalStateException("no live worker hosts executor " + executorId);
  }

  public int aliveWorkers() throws Exception {
    String json = get("http://127.0.0.1:" + masterUiPort + "/json/");
    Matcher m = Pattern.compile("\"state\"\\s*:\\s*\"ALIVE\"").matcher(json);
    int alive = 0;
    while (m.find()) {
      alive++;
    }
    return alive;
  }

  /** The logs of every daemon and executor, for failure messages. */
  public String logs() throws IOException {
    StringBuilder out = new StringBuilder();
    try (var files = Files.walk(home)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".log") || p.getFileName().toString().equals("stderr")).toList()) {
        List<String> lines = Files.readAllLines(f);
        out.append("==> ").append(f).append('\n');
        lines.subList(Math.max(0, lines.size() - 30), lines.size()).forEach(l -> out.append(l).append('\n'));
      }
    }
    return out.toString();
  }

  private Process start(String name, List<String> mainAndArgs) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(java);
    command.addAll(jvmFlags);
    command.addAll(List.of("-Xmx256m", "-cp", classPath));
    command.addAll(mainAndArgs);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(home.resolve(name + ".log").toFile());
    pb.environment().put("SPARK_HOME", home.toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return pb.start();
  }

  /** SPARK_HOME/jars: links to the classpath's jars, as a Spark distribution would have them. */
  private void linkJars() throws IOException {
    Path jars = Files.createDirectories(home.resolve("jars"));
    Set<String> seen = new LinkedHashSet<>();
    for (String entry : classPath.split(File.pathSeparator)) {
      Path p = Path.of(entry);
      if (Files.isDirectory(p)) {
        classDirs.add(p.toAbsolutePath().toString());
      } else if (entry.endsWith(".jar") && Files.isRegularFile(p) && seen.add(p.getFileName().toString())) {
        Files.createSymbolicLink(jars.resolve(p.getFileName()), p.toAbsolutePath());
      }
    }
  }

  private void awaitAliveWorkers(int count, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (aliveWorkers() >= count) {
          return;
        }
      } catch (IOException notUpYet) {
        // the master's UI is not listening yet
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException("workers did not register in " + timeout + "\n" + logs());
  }

  private static String get(String url) throws IOException, InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    workers.forEach(Process::destroyForcibly);
    master.destroyForcibly();
    for (Process p : workers) {
      p.onExit().join();
    }
    master.onExit().join();
  }
}
