package dev.ember.spark.frame;

import java.io.IOException;
import java.util.Collection;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;

/**
 * JSON lines that cannot be a row. Spark's JSON reader coerces a nested object into a string
 * column, keeps the last of two duplicate keys in one place and fails the whole read on them in
 * another, and reports a malformed line only as {@code prompt is null}. Ember checks each line
 * itself instead: a line that is not one well-formed JSON object, has a duplicate key, or has a
 * non-string value where Ember reads text (the prompt or chat columns) becomes an error row, and
 * the raw line is kept in the {@value #COLUMN} column (null on every good row). A DataFrame read
 * with Spark's own PERMISSIVE JSON reader marks such lines in {@value #SPARK_COLUMN}; its rows get
 * the same error. (The job does not write Spark's name: Spark's reader would take that column of
 * the job's output for its own and blank it.)
 */
public final class MalformedLines {
  /** The column in which the job keeps a bad line's raw text. */
  public static final String COLUMN = "_malformed_line";
  /** Spark's {@code columnNameOfCorruptRecord} default, where its JSON reader keeps malformed lines. */
  public static final String SPARK_COLUMN = "_corrupt_record";

  private static final JsonFactory JSON = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private MalformedLines() {}

  /**
   * Why {@code line} cannot be a row, or null when it can. Fields named in {@code textFields}
   * must be JSON strings (or null, or absent) when present.
   */
  public static String problem(String line, Collection<String> textFields) {
    try (JsonParser p = JSON.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return "malformed JSON line: not a JSON object";
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if (textFields.contains(name) && value != JsonToken.VALUE_STRING && value != JsonToken.VALUE_NULL) {
          return "malformed JSON line: \"" + name + "\" must be a string, not " + kind(value);
        }
        p.skipChildren();
      }
      if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
        return "malformed JSON line: text after the JSON object";
      }
      return null;
    } catch (JsonParseException e) {
      String why = e.getOriginalMessage();
      if (why.startsWith("Duplicate field")) {
        return "malformed JSON line: duplicate key " + why.substring(why.indexOf('\''));
      }
      int end = why.indexOf('\n');
      return "malformed JSON line: " + (end < 0 ? why : why.substring(0, end))
          + (e.getLocation() != null ? " at column " + e.getLocation().getColumnNr() : "");
    } catch (IOException e) {
      return "malformed JSON line: " + e.getMessage();
    }
  }

  /** The error of a row that came from a bad line. */
  static String rowError(String line, Collection<String> textFields, String column) {
    String why = problem(line, textFields);
    return (why != null ? why : "malformed JSON line: it does not fit the input's schema")
        + "; the line is in column " + column;
  }

  private static String kind(JsonToken t) {
    return switch (t) {
      case START_OBJECT -> "an object";
      case START_ARRAY -> "an array";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      default -> t.toString();
    };
  }
}
