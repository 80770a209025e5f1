package dev.ember.spark.frame;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The one list of Ember's options, shared by every surface: the DataFrame API ({@link EmberOptions}
 * {@code with...} methods and {@link EmberOptions#with(String, String)}), {@code format("ember")}
 * options, the SQL functions' option map, the session conf and the job's flags. Each option has one
 * name, spelled the way its surface expects:
 *
 * <ul>
 *   <li>API, {@code format("ember")}, session conf {@code spark.ember.<name>}: camelCase ({@code maxTokens});
 *   <li>SQL map keys and per-row option columns: snake_case ({@code max_tokens}), as OpenAI spells them;
 *   <li>job flags: kebab-case ({@code --max-tokens}).
 * </ul>
 *
 * <p>Precedence, lowest first (as Iceberg's read conf does it): built-in defaults, then the session
 * conf ({@code spark.ember.*}), then the options of the call (reader options, SQL map, job flags),
 * then per-row option columns when they are turned on ({@code rowOptions}). An unknown name fails on
 * the driver and names the closest valid one, so a typo never runs silently with a default.
 */
public final class OptionRegistry {
  /** How a surface spells option names. */
  public enum Spelling {
    /** camelCase, case-insensitive (Spark's reader options are). */
    API,
    /** snake_case: SQL option maps and row columns. */
    SQL,
    /** --kebab-case job flags. */
    FLAG
  }

  /** Where an option applies: every surface, or only the surface that reads it itself. */
  public enum Scope {
    ALL,
    SOURCE,
    JOB,
    /** Set per query in SQL and per call elsewhere; not taken from the session conf. */
    CALL
  }

  /**
   * One option. {@code apply} sets it on {@link EmberOptions} from its (last) string value; options
   * that only one surface reads ({@code path}, {@code --output}, ...) have none and the surface
   * reads the validated value itself.
   */
  public record Spec(String name, Scope scope, String type, String doc, BiFunction<EmberOptions, List<String>, EmberOptions> apply) {
    public String sql() {
      return snake(name);
    }

    public String flag() {
      return "--" + snake(name).replace('_', '-');
    }

    public String spelled(Spelling spelling) {
      return switch (spelling) {
        case API -> name;
        case SQL -> sql();
        case FLAG -> flag();
      };
    }
  }

  private static final Map<String, Spec> SPECS = new LinkedHashMap<>();

  static {
    // What runs and where the prompt is.
    add("model", Scope.ALL, "string", "GGUF file or HF model directory, any Hadoop URI or plain path (required)", (o, v) -> o.withModel(last(v)));
    add("modelSha256", Scope.ALL, "hex", "fail unless the model file has this SHA-256", (o, v) -> o.withModelSha256(last(v)));
    add("promptColumn", Scope.CALL, "string", "column holding the prompt (or the text to score); default prompt", (o, v) -> o.withPromptColumn(last(v)));
    add("messagesColumn", Scope.CALL, "string", "prompts from a column of {role, content} messages, through the model's chat template", (o, v) -> o.withChatMessages(last(v)));
    add("systemColumn", Scope.CALL, "string", "system message column (with userColumn), through the chat template", (o, v) -> o.withChat(new ChatColumns(null, last(v), o.chat().user())));
    add("userColumn", Scope.CALL, "string", "user message column, through the chat template", (o, v) -> o.withChat(new ChatColumns(null, o.chat().system(), last(v))));
    add("parseSpecial", Scope.ALL, "boolean", "parse control-token texts (<|endoftext|>, </s>) in prompts from data as control tokens; default false, so data stays text", (o, v) -> o.withParseSpecial(bool("parseSpecial", last(v))));
    // Results.
    add("outputCol", Scope.CALL, "string", "name of the one struct column that holds the results; default ember", (o, v) -> o.withOutputCol(last(v)));
    add("flattenPrefix", Scope.CALL, "string", "flatten the results into top-level columns named prefix + field (e.g. ember_text); off by default", (o, v) -> o.withFlattenPrefix(last(v)));
    add("logprobs", Scope.ALL, "int", "generate: report each generated token's log-prob with this many top alternatives (0-20); off by default", (o, v) -> o.withLogprobs(integer("logprobs", last(v))));
    add("rowOptions", Scope.CALL, "list", "per-row option columns to use: none (default), all, or a comma list of max_tokens, temperature, seed, stop, logprobs, response_format", (o, v) -> o.withRowOptions(RowOptionColumns.parse(last(v))));
    // Sampling.
    add("maxTokens", Scope.ALL, "int", "most tokens to generate; default 128", (o, v) -> o.withMaxTokens(integer("maxTokens", last(v))));
    add("temperature", Scope.ALL, "float", "0 is greedy (default)", (o, v) -> o.withTemperature(number("temperature", last(v))));
    add("topK", Scope.ALL, "int", "0 disables (default)", (o, v) -> o.withTopK(integer("topK", last(v))));
    add("topP", Scope.ALL, "float", "1 disables (default)", (o, v) -> o.withTopP(number("topP", last(v))));
    add("minP", Scope.ALL, "float", "0 disables (default)", (o, v) -> o.withSampling(o.sampling().withMinP(number("minP", last(v)))));
    add("repetitionPenalty", Scope.ALL, "float", "1 disables (default)", (o, v) -> o.withSampling(o.sampling().withRepetitionPenalty(number("repetitionPenalty", last(v)))));
    add("seed", Scope.ALL, "long", "the sampling seed; default 0", (o, v) -> o.withSeed(longInteger("seed", last(v))));
    add("stop", Scope.ALL, "string", "stop string; repeat the job flag for several", (o, v) -> o.withStop(v));
    // Structured output (generate).
    add("jsonSchema", Scope.ALL, "json", "generate: outputs are compact JSON valid against this JSON Schema; the job flag takes a file (or the schema itself if it starts with {)", (o, v) -> o.withJsonSchema(last(v)));
    add("regex", Scope.ALL, "string", "generate: outputs match this Java regex as a whole", (o, v) -> o.withRegex(last(v)));
    add("choices", Scope.ALL, "list", "generate: outputs are exactly one of these comma-separated strings", (o, v) -> o.withChoices(list(last(v))));
    add("grammar", Scope.ALL, "gbnf", "generate: outputs follow this llama.cpp GBNF grammar (rule root); the job flag takes a file", (o, v) -> o.withGrammar(last(v)));
    add("outputSchema", Scope.CALL, "ddl", "generate: Spark DDL (name STRING, age INT, ...) of JSON outputs, parsed into the typed struct field parsedCol; the JSON schema comes from it unless jsonSchema is given", (o, v) -> o.withOutputSchema(last(v)));
    add("parsedCol", Scope.CALL, "string", "generate with outputSchema: the result field holding the parsed struct; default parsed", (o, v) -> o.withSampling(o.sampling().withConstraint(o.sampling().constraint().withParsedCol(last(v)))));
    // Failing well.
    add("failOnError", Scope.ALL, "boolean", "fail at the first row with an error, naming its key and the reason; default false", (o, v) -> o.withFailOnError(bool("failOnError", last(v))));
    add("maxErrorFraction", Scope.ALL, "double", "job and writes: fail at the end when more than this fraction of rows failed; default 1 (a job where every row failed still fails)", (o, v) -> o.withMaxErrorFraction(fraction(last(v))));
    add("idColumn", Scope.CALL, "string", "column that identifies a row: named in failOnError messages; the job's --resume key", (o, v) -> o.withIdColumn(last(v)));
    // Engine.
    add("threads", Scope.ALL, "int", "engine compute threads; default the executor's cores (local[N] in local mode)", (o, v) -> o.withThreads(integer("threads", last(v))));
    add("contextLength", Scope.ALL, "int", "most tokens per sequence; default the model's", (o, v) -> o.withContextLength(integer("contextLength", last(v))));
    add("maxSequences", Scope.ALL, "int", "most sequences in one engine batch", (o, v) -> o.withMaxSequences(integer("maxSequences", last(v))));
    add("maxBatchTokens", Scope.ALL, "int", "most tokens in one forward step (default by the model's width: 512 for models 512 wide and wider, up to 2,048 for narrower ones)", (o, v) -> o.withEngine(o.engine().withMaxBatchTokens(integer("maxBatchTokens", last(v)))));
    add("kvCacheBytes", Scope.ALL, "long", "KV cache budget in bytes; default chosen by the engine", (o, v) -> o.withKvCacheBytes(longInteger("kvCacheBytes", last(v))));
    add("kvCacheType", Scope.ALL, "string", "KV cache element type: f32 | f16 | bf16 | q8_0; default f16", (o, v) -> o.withKvCacheType(last(v)));
    add("inflightPerTask", Scope.ALL, "int", "requests each task keeps queued in the shared engine; 0 = maxSequences", (o, v) -> o.withInflightPerTask(integer("inflightPerTask", last(v))));
    add("prefixPartitioning", Scope.CALL, "boolean", "range-partition and sort rows by prompt so shared prefixes meet in one engine", (o, v) -> bool("prefixPartitioning", last(v)) ? o.withPrefixPartitioning(0) : o.withPrefix(PrefixPartitioning.off()));
    // Surface-specific (read by their surface).
    add("task", Scope.CALL, "string", "generate | score | classify | embed (format(\"ember\") and the job)", null);
    add("labels", Scope.CALL, "list", "classify: comma-separated plain labels", null);
    add("path", Scope.SOURCE, "string", "format(\"ember\"): the prompts (or load(path))", null);
    add("table", Scope.SOURCE, "string", "format(\"ember\"): read the prompts from this table or view instead of files", null);
    add("format", Scope.SOURCE, "string", "format(\"ember\"): json | text | parquet | csv; default from the extension", null);
    add("header", Scope.SOURCE, "boolean", "format(\"ember\") csv: first line is a header; default true", null);
    add("partitionTokens", Scope.SOURCE, "long", "format(\"ember\") json/text: estimated tokens per input partition; default 65536", null);
    add("batchRows", Scope.SOURCE, "int", "format(\"ember\") json/text: rows per columnar batch; default 256", null);
    add("input", Scope.JOB, "string", "job: the prompts", null);
    add("inputFormat", Scope.JOB, "string", "job: json | text | parquet | csv; default from the extension", null);
    add("output", Scope.JOB, "string", "job: where results go", null);
    add("outputFormat", Scope.JOB, "string", "job: json | parquet; default json", null);
    add("overwrite", Scope.JOB, "boolean", "job: replace an existing output", null);
    add("resume", Scope.JOB, "boolean", "job: keep the output, run only rows whose idColumn value is not in it yet", null);
    add("master", Scope.JOB, "string", "job: Spark master; default spark-submit's, else local[2]", null);
    add("partitions", Scope.JOB, "int", "job: repartition the input into N partitions first", null);
    add("progressSeconds", Scope.JOB, "int", "job: seconds between progress lines; default 10, 0 turns them off", null);
  }

  private OptionRegistry() {}

  private static void add(String name, Scope scope, String type, String doc, BiFunction<EmberOptions, List<String>, EmberOptions> apply) {
    SPECS.put(name.toLowerCase(Locale.ROOT), new Spec(name, scope, type, doc, apply));
  }

  /** Every option, in documentation order. */
  public static List<Spec> all() {
    return List.copyOf(SPECS.values());
  }

  /** The option with this name in this spelling, or null. API names are case-insensitive. */
  public static Spec find(String name, Spelling spelling) {
    if (name == null) {
      return null;
    }
    for (Spec s : SPECS.values()) {
      String spelled = s.spelled(spelling);
      if (spelling == Spelling.API ? spelled.equalsIgnoreCase(name) : spelled.equals(name)) {
        return s;
      }
    }
    return null;
  }

  /** The option, or an IllegalArgumentException naming the closest valid one. */
  public static Spec require(String name, Spelling spelling, String surface) {
    return require(name, spelling, surface, java.util.EnumSet.allOf(Scope.class));
  }

  /** The option if {@code scopes} allow it here, or an IllegalArgumentException naming the closest valid one. */
  public static Spec require(String name, Spelling spelling, String surface, java.util.Set<Scope> scopes) {
    Spec spec = find(name, spelling);
    if (spec == null || !scopes.contains(spec.scope())) {
      String q = spelling == Spelling.FLAG ? "" : "'";
      throw new IllegalArgumentException(
          "Ember: unknown " + surface + " " + q + name + q + "; did you mean " + q + closest(name, spelling, scopes) + q + "?");
    }
    return spec;
  }

  /** The valid name nearest to {@code name} (edit distance, spelling-insensitive). */
  public static String closest(String name, Spelling spelling) {
    return closest(name, spelling, java.util.EnumSet.allOf(Scope.class));
  }

  static String closest(String name, Spelling spelling, java.util.Set<Scope> scopes) {
    String key = normalize(name);
    Spec best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (Spec s : SPECS.values()) {
      if (!scopes.contains(s.scope())) {
        continue;
      }
      int d = distance(key, normalize(s.name()));
      if (d < bestDistance) {
        bestDistance = d;
        best = s;
      }
    }
    return best.spelled(spelling);
  }

  /**
   * Applies string options to {@code base}, checking every name first. {@code values} maps each
   * name (in {@code spelling}) to its values (several only for stop). Surface-specific options are
   * checked but left to their surface.
   */
  public static EmberOptions apply(
      EmberOptions base, Map<String, List<String>> values, Spelling spelling, String surface, java.util.Set<Scope> scopes) {
    EmberOptions out = base;
    for (Map.Entry<String, List<String>> e : values.entrySet()) {
      Spec spec = require(e.getKey(), spelling, surface, scopes);
      if (spec.apply() == null || e.getValue().isEmpty()) {
        continue;
      }
      try {
        out = spec.apply().apply(out, e.getValue());
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(
            ex.getMessage().startsWith("Ember:") ? ex.getMessage() : "Ember: option " + spec.spelled(spelling) + ": " + ex.getMessage(), ex);
      }
    }
    return out;
  }

  /** Single-valued options, as reader options and SQL maps give them. */
  public static EmberOptions applySingle(
      EmberOptions base, Map<String, String> values, Spelling spelling, String surface, java.util.Set<Scope> scopes) {
    Map<String, List<String>> multi = new LinkedHashMap<>();
    values.forEach((k, v) -> multi.put(k, v == null ? List.of() : List.of(v)));
    return apply(base, multi, spelling, surface, scopes);
  }

  /** Options the DataFrame API takes (everything but surface-specific ones). */
  public static final java.util.Set<Scope> API_SCOPES = java.util.EnumSet.of(Scope.ALL, Scope.CALL);
  /** Options {@code format("ember")} takes. */
  public static final java.util.Set<Scope> SOURCE_SCOPES = java.util.EnumSet.of(Scope.ALL, Scope.CALL, Scope.SOURCE);
  /** Options the job's flags take. */
  public static final java.util.Set<Scope> JOB_SCOPES = java.util.EnumSet.of(Scope.ALL, Scope.CALL, Scope.JOB);
  /** Options a SQL function's map takes: sampling, engine and error handling (the prompt is an argument). */
  public static final java.util.Set<Scope> SQL_SCOPES = java.util.EnumSet.of(Scope.ALL);

  /**
   * The session's {@code spark.ember.<name>} settings for options the session conf may set (keys
   * under {@code spark.ember.} that are executor settings, such as {@code model.cacheDir}, are
   * skipped). Unknown names fail like any other.
   */
  public static Map<String, String> fromSessionConf(Map<String, String> conf) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : conf.entrySet()) {
      if (!e.getKey().startsWith("spark.ember.")) {
        continue;
      }
      String name = e.getKey().substring("spark.ember.".length());
      if (name.contains(".")) {
        continue; // executor settings: spark.ember.model.cacheDir, spark.ember.engine.*, spark.ember.preload.*
      }
      Spec spec = require(name, Spelling.API, "session conf key spark.ember.*");
      if (spec.scope() == Scope.ALL) {
        out.put(spec.name(), e.getValue());
      }
    }
    return out;
  }

  /** The spelling table (markdown) the READMEs carry; a test keeps them in sync. */
  public static String markdownTable() {
    StringBuilder b = new StringBuilder();
    b.append("| API, `format(\"ember\")`, `spark.ember.*` | SQL map key / row column | job flag | where | type | meaning |\n");
    b.append("|---|---|---|---|---|---|\n");
    for (Spec s : SPECS.values()) {
      String where = switch (s.scope()) {
        case ALL -> "everywhere";
        case CALL -> "API, format, job";
        case SOURCE -> "format";
        case JOB -> "job";
      };
      b.append("| `").append(s.name()).append("` | `").append(s.sql()).append("` | `").append(s.flag()).append("` | ")
          .append(where).append(" | ").append(s.type()).append(" | ").append(s.doc().replace("|", "\\|")).append(" |\n");
    }
    return b.toString();
  }

  static String snake(String camel) {
    StringBuilder b = new StringBuilder();
    for (char c : camel.toCharArray()) {
      if (Character.isUpperCase(c)) {
        b.append('_').append(Character.toLowerCase(c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static String normalize(String name) {
    return name.replaceFirst("^-+", "").replace("_", "").replace("-", "").toLowerCase(Locale.ROOT);
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  private static String last(List<String> values) {
    return values.get(values.size() - 1);
  }

  static int integer(String name, String value) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("needs an integer, got " + value);
    }
  }

  static long longInteger(String name, String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("needs an integer, got " + value);
    }
  }

  static float number(String name, String value) {
    try {
      return Float.parseFloat(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("needs a number, got " + value);
    }
  }

  static boolean bool(String name, String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.equals("true") || v.equals("false")) {
      return v.equals("true");
    }
    throw new IllegalArgumentException("needs true or false, got " + value);
  }

  private static double fraction(String value) {
    double d;
    try {
      d = Double.parseDouble(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("needs a number in [0, 1], got " + value);
    }
    if (!(d >= 0 && d <= 1)) {
      throw new IllegalArgumentException("needs a number in [0, 1], got " + value);
    }
    return d;
  }

  /** Splits a comma list, trimming items and dropping empty ones. */
  public static List<String> list(String value) {
    List<String> out = new ArrayList<>();
    for (String s : value.split(",")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return out;
  }
}
