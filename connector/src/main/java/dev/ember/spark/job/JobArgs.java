package dev.ember.spark.job;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import dev.ember.spark.frame.ChatColumns;
import dev.ember.spark.frame.EmberOptions;

/**
 * The job's command line. Unknown flags and missing values are errors, reported with the usage,
 * before any Spark session starts.
 */
record JobArgs(
    String task,
    String input,
    String inputFormat,
    String output,
    String outputFormat,
    boolean overwrite,
    String master,
    int partitions,
    List<String> labels,
    EmberOptions options) {

  static final Set<String> TASKS = Set.of("generate", "score", "classify");
  static final Set<String> INPUT_FORMATS = Set.of("json", "text", "parquet", "csv");
  static final Set<String> OUTPUT_FORMATS = Set.of("json", "parquet");

  static final String USAGE =
      """
      usage: EmberJob --model PATH --input PATH --output PATH [options]
        --task generate|score|classify   what to run (default generate)
        --model URI                      GGUF file or HF directory on any Hadoop FileSystem
        --model-sha256 HEX               fail unless the model file has this SHA-256
        --input PATH                     prompts
        --input-format json|text|parquet|csv   (default: from the input's extension, else json)
        --prompt-column NAME             column holding the prompt (default prompt; text input: each line)
        --output PATH                    where results go (input columns plus result columns)
        --output-format json|parquet     (default json)
        --overwrite                      replace an existing output
        --master URL                     Spark master (default: spark-submit's, else local[2])
        --partitions N                   repartition the input into N partitions first
                                         (default: at least one per core of the cluster)
        --labels A,B,...                 classify: candidate continuations, comma-separated, kept verbatim
        --max-tokens N  --temperature T  --top-k K  --top-p P  --seed S  --stop STRING (repeatable)
        --threads N  --context-length N  --max-sequences N  --max-batch-tokens N  --inflight-per-task N
        --kv-cache-bytes N
        --prefix-partitioning            group rows sharing a prompt prefix (range partition + sort by prompt)
        --messages-column C              prompts from a column of {role, content} messages, through the model's chat template
        --system-column C --user-column C  prompts from system and user columns, through the chat template
      """;

  static JobArgs parse(String... args) {
    String task = "generate";
    String input = null;
    String inputFormat = null;
    String output = null;
    String outputFormat = "json";
    boolean overwrite = false;
    String master = null;
    int partitions = 0;
    List<String> labels = new ArrayList<>();
    List<String> stop = new ArrayList<>();
    String model = null;
    EmberOptions opts = EmberOptions.model("unset");
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("--overwrite")) {
        overwrite = true;
        continue;
      }
      if (flag.equals("--prefix-partitioning")) {
        opts = opts.withPrefixPartitioning(0);
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("missing value for " + flag);
      }
      String value = args[++i];
      switch (flag) {
        case "--task" -> task = oneOf(flag, value.toLowerCase(Locale.ROOT), TASKS);
        case "--model" -> model = value;
        case "--model-sha256" -> opts = opts.withModelSha256(value);
        case "--input" -> input = value;
        case "--input-format" -> inputFormat = oneOf(flag, value.toLowerCase(Locale.ROOT), INPUT_FORMATS);
        case "--prompt-column" -> opts = opts.withPromptColumn(value);
        case "--messages-column" -> opts = opts.withChatMessages(value);
        case "--system-column" -> opts = opts.withChat(new ChatColumns(null, value, opts.chat().user()));
        case "--user-column" -> opts = opts.withChat(new ChatColumns(null, opts.chat().system(), value));
        case "--output" -> output = value;
        case "--output-format" -> outputFormat = oneOf(flag, value.toLowerCase(Locale.ROOT), OUTPUT_FORMATS);
        case "--master" -> master = value;
        case "--partitions" -> partitions = integer(flag, value);
        case "--labels" -> labels.addAll(List.of(value.split(",", -1)));
        case "--max-tokens" -> opts = opts.withMaxTokens(integer(flag, value));
        case "--temperature" -> opts = opts.withTemperature(number(flag, value));
        case "--top-k" -> opts = opts.withTopK(integer(flag, value));
        case "--top-p" -> opts = opts.withTopP(number(flag, value));
        case "--seed" -> opts = opts.withSeed(longInteger(flag, value));
        case "--stop" -> stop.add(value);
        case "--threads" -> opts = opts.withThreads(integer(flag, value));
        case "--context-length" -> opts = opts.withContextLength(integer(flag, value));
        case "--max-sequences" -> opts = opts.withMaxSequences(integer(flag, value));
        case "--max-batch-tokens" -> opts = opts.withEngine(opts.engine().withMaxBatchTokens(integer(flag, value)));
        case "--inflight-per-task" -> opts = opts.withInflightPerTask(integer(flag, value));
        case "--kv-cache-bytes" -> opts = opts.withKvCacheBytes(longInteger(flag, value));
        default -> throw new IllegalArgumentException("unknown flag " + flag);
      }
    }
    require("--model", model);
    require("--input", input);
    require("--output", output);
    if (task.equals("classify") && labels.isEmpty()) {
      throw new IllegalArgumentException("--task classify needs --labels");
    }
    if (!task.equals("classify") && !labels.isEmpty()) {
      throw new IllegalArgumentException("--labels only applies to --task classify");
    }
    if (inputFormat == null) {
      inputFormat = formatFromExtension(input);
    }
    if (!stop.isEmpty()) {
      opts = opts.withStop(stop);
    }
    opts =
        new EmberOptions(
            model, opts.modelSha256(), opts.promptColumn(), opts.engine(), opts.sampling(), opts.rowOptions(), opts.inflightPerTask(), opts.prefix(), opts.chat());
    opts.validate();
    return new JobArgs(task, input, inputFormat, output, outputFormat, overwrite, master, partitions, List.copyOf(labels), opts);
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

  private static long longInteger(String flag, String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " needs an integer, got " + value);
    }
  }

  private static float number(String flag, String value) {
    try {
      return Float.parseFloat(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " needs a number, got " + value);
    }
  }
}
