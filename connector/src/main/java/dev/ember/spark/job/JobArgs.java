package dev.ember.spark.job;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import dev.ember.spark.frame.EmberOptions;
import dev.ember.spark.frame.OptionRegistry;
import dev.ember.spark.frame.OptionRegistry.Spec;
import dev.ember.spark.frame.OptionRegistry.Spelling;

/**
 * The job's command line: every flag is an {@link OptionRegistry} option in kebab-case
 * ({@code --max-tokens}); boolean options are bare flags ({@code --overwrite}). Unknown flags
 * (with the closest valid one) and missing values are errors, reported before any Spark session
 * starts. The engine and sampling options are applied over the session conf's
 * {@code spark.ember.*} settings ({@link #options(Map)}).
 */
record JobArgs(
    String task,
    String input,
    String inputFormat,
    String output,
    String outputFormat,
    boolean overwrite,
    boolean resume,
    String master,
    int partitions,
    int progressSeconds,
    List<String> labels,
    Map<String, List<String>> flags,
    EmberOptions options) {

  static final Set<String> TASKS = Set.of("generate", "score", "classify", "embed");
  static final Set<String> INPUT_FORMATS = Set.of("json", "text", "parquet", "csv");
  static final Set<String> OUTPUT_FORMATS = Set.of("json", "parquet");

  static final String USAGE = usage();

  private static String usage() {
    StringBuilder b = new StringBuilder("usage: EmberJob --model PATH --input PATH --output PATH [options]\n");
    for (Spec s : OptionRegistry.all()) {
      if (OptionRegistry.JOB_SCOPES.contains(s.scope())) {
        String flag = s.type().equals("boolean") ? s.flag() : s.flag() + " " + s.type().toUpperCase(Locale.ROOT);
        b.append(String.format(Locale.ROOT, "  %-28s %s%n", flag, s.doc()));
      }
    }
    return b.toString();
  }

  static JobArgs parse(String... args) {
    Map<String, List<String>> flags = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (!flag.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument " + flag + " (flags start with --)");
      }
      Spec spec = OptionRegistry.require(flag, Spelling.FLAG, "flag", OptionRegistry.JOB_SCOPES);
      String value;
      if (spec.type().equals("boolean")) {
        value = "true";
      } else {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("missing value for " + flag);
        }
        value = args[++i];
      }
      List<String> values = flags.computeIfAbsent(flag, k -> new ArrayList<>());
      if (!spec.name().equals("stop")) {
        values.clear(); // the last one wins; only --stop repeats
      }
      values.add(value);
    }
    readFileFlag(flags, "--json-schema", "{");
    readFileFlag(flags, "--grammar", null);
    EmberOptions opts = options(flags, Map.of()); // value errors first, before what is missing
    String task = oneOf("--task", one(flags, "--task", "generate").toLowerCase(Locale.ROOT), TASKS);
    String input = one(flags, "--input", null);
    String output = one(flags, "--output", null);
    require("--model", one(flags, "--model", null));
    require("--input", input);
    require("--output", output);
    String inputFormat = one(flags, "--input-format", null);
    inputFormat = inputFormat == null ? formatFromExtension(input) : oneOf("--input-format", inputFormat.toLowerCase(Locale.ROOT), INPUT_FORMATS);
    String outputFormat = oneOf("--output-format", one(flags, "--output-format", "json").toLowerCase(Locale.ROOT), OUTPUT_FORMATS);
    List<String> labels = flags.containsKey("--labels") ? OptionRegistry.list(one(flags, "--labels", "")) : List.of();
    if (task.equals("classify") && labels.isEmpty()) {
      throw new IllegalArgumentException("--task classify needs --labels");
    }
    if (!task.equals("classify") && !labels.isEmpty()) {
      throw new IllegalArgumentException("--labels only applies to --task classify");
    }
    boolean overwrite = flags.containsKey("--overwrite");
    boolean resume = flags.containsKey("--resume");
    if (overwrite && resume) {
      throw new IllegalArgumentException("--overwrite and --resume exclude each other");
    }
    int partitions = integer("--partitions", one(flags, "--partitions", "0"));
    int progress = integer("--progress-seconds", one(flags, "--progress-seconds", "10"));
    if (resume && opts.idColumn() == null) {
      throw new IllegalArgumentException("--resume needs --id-column, the column that identifies a row");
    }
    return new JobArgs(
        task, input, inputFormat, output, outputFormat, overwrite, resume, one(flags, "--master", null), partitions, progress,
        labels, flags, opts);
  }

  /** The options over a session conf: defaults, then {@code spark.ember.*}, then the flags. */
  EmberOptions options(Map<String, String> sessionConf) {
    return options(flags, sessionConf);
  }

  private static EmberOptions options(Map<String, List<String>> flags, Map<String, String> sessionConf) {
    EmberOptions opts = EmberOptions.model("unset");
    opts = OptionRegistry.applySingle(
        opts, OptionRegistry.fromSessionConf(sessionConf), Spelling.API, "session conf key", OptionRegistry.API_SCOPES);
    opts = OptionRegistry.apply(opts, flags, Spelling.FLAG, "flag", OptionRegistry.JOB_SCOPES);
    try {
      opts.validate();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage().replaceFirst("^Ember: ", ""), e);
    }
    return opts;
  }

  /**
   * Flags whose value is a file (as the CLI's {@code --json-schema FILE}, {@code --grammar FILE}):
   * replaced by the file's text. A value starting with {@code inline} is the text itself.
   */
  private static void readFileFlag(Map<String, List<String>> flags, String flag, String inline) {
    List<String> values = flags.get(flag);
    if (values == null || values.isEmpty()) {
      return;
    }
    String value = values.get(values.size() - 1);
    if (inline != null && value.trim().startsWith(inline)) {
      return;
    }
    java.nio.file.Path file = java.nio.file.Path.of(value);
    try {
      values.set(values.size() - 1, java.nio.file.Files.readString(file));
    } catch (java.io.IOException | RuntimeException e) {
      throw new IllegalArgumentException(flag + " " + value + ": cannot read the file (" + e.getClass().getSimpleName()
          + (e.getMessage() != null ? ": " + e.getMessage() : "") + ")");
    }
  }

  private static String one(Map<String, List<String>> flags, String flag, String fallback) {
    List<String> v = flags.get(flag);
    return v == null || v.isEmpty() ? fallback : v.get(v.size() - 1);
  }

  private static String formatFromExtension(String path) {
    String name = path.toLowerCase(Locale.ROOT);
    if (name.endsWith(".parquet")) {
      return "parquet";
    } else if (name.endsWith(".csv")) {
      return "csv";
    } else if (name.endsWith(".txt")) {
      return "text";
    }
    return "json";
  }

  private static void require(String flag, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(flag + " is required");
    }
  }

  private static String oneOf(String flag, String value, Set<String> allowed) {
    if (!allowed.contains(value)) {
      throw new IllegalArgumentException(flag + " must be one of " + allowed.stream().sorted().toList() + ", got " + value);
    }
    return value;
  }

  private static int integer(String flag, String value) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " needs an integer, got " + value);
    }
  }
}
