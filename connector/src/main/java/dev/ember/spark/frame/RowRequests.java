package dev.ember.spark.frame;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;

import dev.ember.engine.api.ChatMessage;
import dev.ember.engine.api.Engine;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.SamplingParams;

/**
 * Builds an engine request from a row: the prompt from its column and per-row sampling options
 * from theirs. Column positions and types are resolved once on the driver, where a missing or
 * mistyped column fails the job; a bad value in one row only becomes that row's error.
 */
public final class RowRequests implements Serializable {
  /** A row's request, or why the row has none. */
  public record Prepared(Request request, String error) {
    static Prepared failed(String error) {
      return new Prepared(null, error);
    }
  }

  private final int prompt;
  private final int messages;
  private final int system;
  private final int user;
  private final int maxTokens;
  private final int temperature;
  private final int seed;
  private final int stop;
  private final int logprobs;
  private final int responseFormat;
  private final int id;
  private final int malformed;
  private final String malformedName;
  private final List<String> textFields;
  private final Sampling defaults;
  private final boolean parseSpecial;

  public RowRequests(StructType schema, EmberOptions options) {
    ChatColumns chat = options.chat();
    // With chat columns the prompt is rendered from them; a prompt column is then not needed.
    this.prompt = column(schema, options.promptColumn(), "prompt", !chat.enabled());
    requireType(schema, prompt, "prompt", t -> t instanceof StringType, "a string");
    this.messages = chat.messages() == null ? -1 : column(schema, chat.messages(), "messages", true);
    requireType(schema, messages, "messages", t -> t instanceof ArrayType, "an array of {role, content} structs or maps");
    this.system = chat.system() == null ? -1 : column(schema, chat.system(), "system", true);
    requireType(schema, system, "system", t -> t instanceof StringType, "a string");
    this.user = chat.user() == null ? -1 : column(schema, chat.user(), "user", true);
    requireType(schema, user, "user", t -> t instanceof StringType, "a string");
    RowOptionColumns cols = options.rowOptions();
    // With rowOptions=all a column is used where the input has it; a column named explicitly must exist.
    boolean optional = cols.equals(RowOptionColumns.all());
    this.maxTokens = optionColumn(schema, cols.maxTokens(), RowOptionColumns.MAX_TOKENS, optional);
    requireType(schema, maxTokens, RowOptionColumns.MAX_TOKENS, RowRequests::isIntegral, "an integer");
    this.temperature = optionColumn(schema, cols.temperature(), RowOptionColumns.TEMPERATURE, optional);
    requireType(schema, temperature, RowOptionColumns.TEMPERATURE, t -> isIntegral(t) || isFractional(t), "a number");
    this.seed = optionColumn(schema, cols.seed(), RowOptionColumns.SEED, optional);
    requireType(schema, seed, RowOptionColumns.SEED, RowRequests::isIntegral, "an integer");
    this.stop = optionColumn(schema, cols.stop(), RowOptionColumns.STOP, optional);
    requireType(
        schema, stop, RowOptionColumns.STOP,
        t -> t instanceof StringType || (t instanceof ArrayType a && a.elementType() instanceof StringType),
        "a string or an array of strings");
    this.logprobs = optionColumn(schema, cols.logprobs(), RowOptionColumns.LOGPROBS, optional);
    requireType(schema, logprobs, RowOptionColumns.LOGPROBS, RowRequests::isIntegral, "an integer");
    this.responseFormat = optionColumn(schema, cols.responseFormat(), RowOptionColumns.RESPONSE_FORMAT, optional);
    requireType(schema, responseFormat, RowOptionColumns.RESPONSE_FORMAT, t -> t instanceof StringType, "a JSON schema string");
    this.id = options.idColumn() == null ? -1 : column(schema, options.idColumn(), "id", true);
    int bad = column(schema, MalformedLines.COLUMN, "malformed", false);
    if (bad < 0) {
      bad = column(schema, MalformedLines.SPARK_COLUMN, "malformed", false);
    }
    this.malformed = bad >= 0 && schema.fields()[bad].dataType() instanceof StringType ? bad : -1;
    this.malformedName = malformed >= 0 ? schema.fields()[malformed].name() : null;
    List<String> text = new ArrayList<>();
    for (String c : new String[] {options.promptColumn(), chat.system(), chat.user()}) {
      if (c != null) {
        text.add(c);
      }
    }
    this.textFields = List.copyOf(text);
    this.defaults = options.sampling();
    this.parseSpecial = options.parseSpecial();
    List<String> used = new ArrayList<>();
    for (int c : new int[] {maxTokens, temperature, seed, stop, logprobs, responseFormat}) {
      if (c >= 0) {
        used.add(schema.fields()[c].name());
      }
    }
    if (!used.isEmpty()) {
      LOG.info("Ember: per-row options from columns {} (rowOptions)", used);
    }
  }

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RowRequests.class);

  /** The row's key for messages: its id column's value, or null when no id column is set. */
  public String key(Row row) {
    return id < 0 ? null : String.valueOf(row.get(id));
  }

  /** The prompt text, or null when the row has none. */
  public String prompt(Row row) {
    return prompt < 0 || row.isNullAt(prompt) ? null : row.getString(prompt);
  }

  /** Why a prompt cannot be used, or null when it can. */
  public static String checkPrompt(String text) {
    if (text == null) {
      return "prompt is null";
    }
    if (text.isEmpty()) {
      return "prompt is empty";
    }
    return null;
  }

  /** Whether prompts come from chat columns (and need the engine's chat template). */
  public boolean chat() {
    return messages >= 0 || user >= 0;
  }

  /**
   * The prompt text for a row: the prompt column, or with chat columns the row's conversation
   * rendered with the engine's chat template (null when the row has no conversation).
   */
  public String prompt(Row row, Engine engine) {
    if (!chat()) {
      return prompt(row);
    }
    List<ChatMessage> conversation = conversation(row);
    if (conversation == null) {
      return null;
    }
    return conversation.isEmpty() ? "" : engine.applyChatTemplate(conversation, true);
  }

  /** The row's chat messages (null when it has none). */
  private List<ChatMessage> conversation(Row row) {
    List<ChatMessage> conversation = new ArrayList<>();
    if (messages >= 0) {
      if (row.isNullAt(messages)) {
        return null;
      }
      for (Object m : scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) row.get(messages))) {
        conversation.add(message(m));
      }
    } else {
      if (row.isNullAt(user)) {
        return null;
      }
      if (system >= 0 && !row.isNullAt(system)) {
        conversation.add(ChatMessage.system(row.getString(system)));
      }
      conversation.add(ChatMessage.user(row.getString(user)));
    }
    return conversation;
  }

  /** A message from a struct or a map with role and content. */
  private static ChatMessage message(Object m) {
    if (m instanceof Row r) {
      return new ChatMessage(r.getAs("role"), r.getAs("content"));
    }
    if (m instanceof scala.collection.Map<?, ?> map) {
      java.util.Map<?, ?> j = scala.jdk.javaapi.CollectionConverters.asJava(map);
      return new ChatMessage((String) j.get("role"), (String) j.get("content"));
    }
    throw new IllegalArgumentException("a message must be a struct or map with role and content");
  }

  /** The request for a row, rendering chat columns with the engine's template when set. */
  public Prepared prepare(Row row, String requestId, Engine engine) {
    if (malformed(row)) {
      return Prepared.failed(MalformedLines.rowError(row.getString(malformed), textFields, malformedName));
    }
    if (!chat()) {
      return prepareText(row, requestId, prompt(row), null);
    }
    String text;
    int[] tokens;
    try {
      List<ChatMessage> conversation = conversation(row);
      text = conversation == null ? null : conversation.isEmpty() ? "" : engine.applyChatTemplate(conversation, true);
      // Only the template's own markers are control tokens: a message cannot forge a turn.
      tokens = text == null || text.isEmpty() ? null : engine.chatTokens(conversation, true);
    } catch (RuntimeException e) {
      return Prepared.failed("chat template: " + e.getMessage());
    }
    return prepareText(row, requestId, text, tokens);
  }

  public Prepared prepare(Row row, String requestId) {
    if (chat()) {
      throw new IllegalStateException("chat columns need the engine: use prepare(row, id, engine)");
    }
    if (malformed(row)) {
      return Prepared.failed(MalformedLines.rowError(row.getString(malformed), textFields, malformedName));
    }
    return prepareText(row, requestId, prompt(row), null);
  }

  /** The request for a row's text, or for its chat tokens when given (text is then the rendered conversation). */
  private Prepared prepareText(Row row, String requestId, String text, int[] tokens) {
    String problem = checkPrompt(text);
    if (problem != null) {
      return Prepared.failed(problem);
    }
    SamplingParams.Builder params = defaults.toBuilder();
    try {
      if (present(row, maxTokens)) {
        params.maxTokens(Math.toIntExact(((Number) row.get(maxTokens)).longValue()));
      }
      if (present(row, temperature)) {
        params.temperature(((Number) row.get(temperature)).floatValue());
      }
      if (present(row, seed)) {
        params.seed(((Number) row.get(seed)).longValue());
      } else {
        params.seed(rowSeed(defaults.seed(), id >= 0 && !row.isNullAt(id) ? "id:" + row.get(id) : "pos:" + requestId));
      }
      if (present(row, stop)) {
        params.stop(stopStrings(row.get(stop)));
      }
      if (present(row, logprobs)) {
        params.logprobs(Math.toIntExact(((Number) row.get(logprobs)).longValue()));
      }
      if (present(row, responseFormat)) {
        params.constraint(new dev.ember.engine.api.Constraint.JsonSchema(row.getString(responseFormat)));
      }
      Request request = tokens != null
          ? Request.ofTokens(requestId, tokens, params.build())
          // Data text: control-token look-alikes stay text unless parseSpecial asks otherwise.
          : Request.ofText(requestId, text, params.build(), parseSpecial);
      return new Prepared(request, null);
    } catch (IllegalArgumentException | ArithmeticException e) {
      return Prepared.failed("invalid options: " + e.getMessage());
    }
  }

  /** Whether the row came from a line that was not a usable JSON object (see {@link MalformedLines}). */
  private boolean malformed(Row row) {
    return malformed >= 0 && !row.isNullAt(malformed);
  }

  /**
   * The seed of a row without its own seed column value: the options' seed mixed with the row's
   * key (its id column value when there is one, else its request id, the row's partition and
   * position in it). Identical prompts then draw different samples, while a retried task, which
   * sees the same rows in the same places, draws the same ones.
   */
  static long rowSeed(long seed, String key) {
    long h = 0xcbf29ce484222325L; // FNV-1a over the key's UTF-8 bytes
    for (byte b : key.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    long z = seed + h * 0x9E3779B97F4A7C15L; // SplitMix64's finaliser
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static boolean present(Row row, int column) {
    return column >= 0 && !row.isNullAt(column);
  }

  private static List<String> stopStrings(Object value) {
    if (value instanceof String s) {
      return List.of(s);
    }
    List<String> out = new ArrayList<>();
    for (Object o : scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) value)) {
      if (o == null) {
        throw new IllegalArgumentException("stop strings must not be null");
      }
      out.add((String) o);
    }
    return out;
  }

  private static int optionColumn(StructType schema, String name, String option, boolean optional) {
    if (name == null) {
      return -1;
    }
    return column(schema, name, option, !optional);
  }

  private static int column(StructType schema, String name, String role, boolean required) {
    for (int i = 0; i < schema.size(); i++) {
      if (schema.fields()[i].name().equals(name)) {
        return i;
      }
    }
    if (required) {
      throw new IllegalArgumentException(
          "Ember: " + role + " column '" + name + "' is not in the input; columns are " + List.of(schema.fieldNames()));
    }
    return -1;
  }

  private static void requireType(
      StructType schema, int column, String role, java.util.function.Predicate<DataType> ok, String expected) {
    if (column >= 0 && !ok.test(schema.fields()[column].dataType())) {
      throw new IllegalArgumentException(
          "Ember: " + role + " column '" + schema.fields()[column].name() + "' must be " + expected
              + ", not " + schema.fields()[column].dataType().simpleString());
    }
  }

  private static boolean isIntegral(DataType t) {
    return t instanceof IntegerType || t instanceof LongType || t instanceof ShortType || t instanceof ByteType;
  }

  private static boolean isFractional(DataType t) {
    return t instanceof FloatType || t instanceof DoubleType || t instanceof DecimalType;
  }
}
