package dev.ember.spark.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.SamplingParams;
import dev.ember.spark.SparkTestBase;
import dev.ember.spark.executor.ExecutorEngines;
import dev.ember.spark.ml.EmberClassifier;
import dev.ember.spark.sql.EmberSqlExtensions;

/**
 * Ember through Spark Connect, with no py4j and no Ember class on the client: a real Spark Connect
 * server (spark-connect_2.13's {@code SparkConnectPlugin}, local[2]) whose configuration alone
 * registers Ember ({@code spark.sql.extensions}, {@code spark.ember.*}), and the real JVM client
 * (spark-connect-client-jvm) in a child JVM that has only the client jar and its dependencies.
 * The client runs {@code ember_generate} in SQL (session model and model argument), the same
 * function over a DataFrame by name, and {@code format("ember")} over a temp view of its own
 * DataFrame and over a saved table, and Ember's ML stages through Spark Connect ML (the server
 * builds {@code EmberGenerator} and {@code EmberClassifier} from their {@code META-INF/services}
 * registration) ({@link ConnectClientMain}); each generated row must equal the engine's own greedy
 * completion of its prompt, each label the stage's label in classic Spark, and bad options must
 * come back as the one-line message.
 */
class TestSparkConnect {
  /** Spark modules the client jar depends on unshaded (its pom); every other Spark jar would clash with its sql-api copy. */
  private static final List<String> CLIENT_SPARK_JARS =
      List.of("spark-common-utils_", "spark-common-utils-java_", "spark-unsafe_", "spark-variant_", "spark-sketch_", "spark-tags_");

  private static final List<String> PROMPTS =
      Arrays.asList("Once upon a time", "Lily went to the park", "The little dog", null, "One day, Tom", "She was happy");

  @TempDir static Path dir;
  private static SparkSession server;
  private static int port;

  @BeforeAll
  static void startServer() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    server =
        SparkSession.builder()
            .master("local[2]")
            .appName("ember-connect-server")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.warehouse.dir", dir.resolve("warehouse").toString())
            // The Connect server, as start-connect-server.sh starts it: a driver plugin.
            .config("spark.plugins", "org.apache.spark.sql.connect.SparkConnectPlugin")
            .config("spark.connect.grpc.binding.address", "127.0.0.1")
            .config("spark.connect.grpc.binding.port", Integer.toString(port))
            // Ember, through server configuration only.
            .config("spark.sql.extensions", EmberSqlExtensions.class.getName())
            .config("spark.ember.model", SparkTestBase.storiesModel().toString())
            .config("spark.ember.threads", "1")
            .getOrCreate();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.stop();
    }
    ExecutorEngines.closeAll();
  }

  static Path exampleModel() {
    return Path.of(System.getProperty("ember.repo.dir", ".."), "examples", "models", "ember-v4-story.gguf").toAbsolutePath().normalize();
  }

  /** The client's classpath: the copied client and shims jars, this module's test classes, and the client's unshaded dependencies. */
  static String clientClassPath() throws Exception {
    Path clientDir = Path.of(System.getProperty("ember.connect.client.dir", "target/connect-client"));
    List<String> entries = new ArrayList<>();
    try (var jars = Files.list(clientDir)) {
      jars.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(p -> entries.add(p.toString()));
    }
    assertEquals(2, entries.size(), "spark-connect-client-jvm and spark-connect-shims in " + clientDir + ": " + entries);
    entries.add(Path.of(ConnectClientMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
    String full = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    for (String entry : full.split(File.pathSeparator)) {
      if (!entry.endsWith(".jar") || entry.contains("/ember-")) {
        continue; // class directories are Ember's; its jars too
      }
      String name = Path.of(entry).getFileName().toString();
      if (entry.contains("/org/apache/spark/") && CLIENT_SPARK_JARS.stream().noneMatch(name::startsWith)) {
        continue;
      }
      entries.add(entry);
    }
    return String.join(File.pathSeparator, entries);
  }

  @Test
  void sqlFunctionsAndFormatEmberThroughTheJvmConnectClient() throws Exception {
    Path out = dir.resolve("client-out.tsv");
    Path log = dir.resolve("client.log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(Arrays.asList(System.getProperty("ember.jvm.flags", "").trim().split("\\s+")));
    command.addAll(List.of("-Xmx512m", "-cp", clientClassPath(), ConnectClientMain.class.getName(),
        "sc://127.0.0.1:" + port, exampleModel().toString(), out.toString()));
    PROMPTS.forEach(p -> command.add(p == null ? "<null>" : p));
    Process client = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean done = client.waitFor(300, TimeUnit.SECONDS);
    if (!done) {
      client.destroyForcibly();
    }
    String clientLog = Files.readString(log);
    assertTrue(done, "the Connect client timed out:\n" + clientLog);
    assertEquals(0, client.exitValue(), clientLog);

    // query -> id -> {text, error}; failure name -> message
    Map<String, Map<Integer, String[]>> results = new TreeMap<>();
    Map<String, String> failures = new LinkedHashMap<>();
    for (String line : Files.readAllLines(out)) {
      String[] f = line.split("\t", -1);
      if (f[0].equals("failure")) {
        failures.put(f[1], decode(f[2]));
      } else {
        results.computeIfAbsent(f[0], k -> new TreeMap<>()).put(Integer.parseInt(f[1]), new String[] {decode(f[2]), decode(f[3])});
        assertEquals("int", f[4], "the id column's type in " + f[0]);
      }
    }
    assertEquals(List.of("dataframe_call", "format_table", "format_view", "format_view_replaced", "ml_classify", "ml_generate",
        "sql_default", "sql_model_arg"), List.copyOf(results.keySet()), clientLog);

    try (Engine stories = Engine.open(SparkTestBase.storiesModel(), EngineOptions.defaults().withThreads(1));
        Engine example = Engine.open(exampleModel(), EngineOptions.defaults().withThreads(1))) {
      check(results.get("sql_default"), stories, 8);
      check(results.get("dataframe_call"), stories, 8);
      check(results.get("format_view"), stories, 8);
      check(results.get("sql_model_arg"), example, 6);
      check(results.get("format_table"), example, 6);
      // The ML stage through Spark Connect ML, with the params it was sent (maxTokens 6, temperature 0, outputCol answer).
      check(results.get("ml_generate"), example, 6);
      // The same view name over other rows: read anew, not from the first read's staged copy.
      assertEquals(List.of(1, 2), List.copyOf(results.get("format_view_replaced").keySet()));
      check(results.get("format_view_replaced"), stories, 8, PROMPTS.subList(0, 2));
    }
    // The classifier through Connect ML labels each row as the same stage does in classic Spark on the server.
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < PROMPTS.size(); i++) {
      rows.add(RowFactory.create(i + 1, PROMPTS.get(i)));
    }
    Dataset<Row> input = server.createDataFrame(rows, new StructType().add("id", DataTypes.IntegerType).add("prompt", DataTypes.StringType));
    Map<Integer, String[]> classic = new TreeMap<>();
    for (Row r : new EmberClassifier().setLabels("time", "banana").setModel(exampleModel().toString()).transform(input)
        .select("id", "ember.label", "ember.error").collectAsList()) {
      classic.put(r.getInt(0), new String[] {r.getString(1), r.getString(2)});
    }
    Map<Integer, String[]> viaConnect = results.get("ml_classify");
    assertEquals(classic.keySet(), viaConnect.keySet());
    for (int id : classic.keySet()) {
      assertEquals(Arrays.asList(classic.get(id)), Arrays.asList(viaConnect.get(id)), "classify row " + id);
    }
    assertEquals("prompt is null", viaConnect.get(4)[1]);
    assertTrue(failures.get("ml_no_labels").contains("EmberClassifier needs setLabels"), failures.toString());
    // Reader options reach the server lower-cased through Connect (they are case-insensitive): the name is as Spark passes it.
    assertTrue(failures.get("unknown_option").toLowerCase(java.util.Locale.ROOT).contains("unknown option 'maxtoken'; did you mean 'maxtokens'?"),
        failures.toString());
    assertTrue(failures.get("unknown_map_key").contains("did you mean 'max_tokens'"), failures.toString());
  }

  /** Every prompt once, in id order; each text equals the engine's greedy completion, the null prompt has the error. */
  private static void check(Map<Integer, String[]> rows, Engine engine, int maxTokens) {
    check(rows, engine, maxTokens, PROMPTS);
  }

  private static void check(Map<Integer, String[]> rows, Engine engine, int maxTokens, List<String> prompts) {
    assertEquals(prompts.size(), rows.size(), "rows " + rows.keySet());
    for (int i = 0; i < prompts.size(); i++) {
      String prompt = prompts.get(i);
      String[] row = rows.get(i + 1);
      if (prompt == null) {
        assertNull(row[0]);
        assertEquals("prompt is null", row[1]);
        continue;
      }
      assertNull(row[1], "row " + (i + 1) + ": " + row[1]);
      assertEquals(engine.submit(Request.ofText("x", prompt, SamplingParams.greedy(maxTokens))).join().text(), row[0], "row " + (i + 1));
    }
  }

  private static String decode(String field) {
    return field.equals("-") ? null : new String(Base64.getDecoder().decode(field), StandardCharsets.UTF_8);
  }
}
