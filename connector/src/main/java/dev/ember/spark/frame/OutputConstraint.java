package dev.ember.spark.frame;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.types.StructType;

import dev.ember.engine.api.Constraint;
import dev.ember.engine.constrain.CompiledConstraint;

/**
 * Structured output for generate (issue 14): what every row's text must match (a JSON schema, a
 * regex, one of several strings or a GBNF grammar; at most one), and optionally a Spark schema the
 * JSON is parsed into. {@code withOutputSchema("name STRING, age INT")} derives the JSON schema from
 * the DDL ({@link JsonSchemas}) unless a JSON schema is given too; the rows then carry a typed struct
 * field ({@code parsed}, or {@code parsedCol}) beside the text. The engine compiles the constraint
 * once per model and masks every token that would leave it. Serializable (the engine's
 * {@link Constraint} is not); the engine's value is built per request.
 *
 * @param jsonSchema JSON Schema text, or null
 * @param regex a java.util.regex pattern the whole output matches, or null
 * @param choices the output is exactly one of these, or null
 * @param grammar a llama.cpp GBNF grammar (rule {@code root}), or null
 * @param outputSchema Spark DDL of the struct the JSON is parsed into, or null
 * @param parsedCol the result field holding the parsed struct; default {@code parsed}
 */
public record OutputConstraint(String jsonSchema, String regex, List<String> choices, String grammar, String outputSchema, String parsedCol)
    implements Serializable {
  public static final String DEFAULT_PARSED_COL = "parsed";

  public OutputConstraint {
    choices = choices == null ? null : List.copyOf(choices);
    parsedCol = parsedCol == null || parsedCol.isBlank() ? DEFAULT_PARSED_COL : parsedCol;
  }

  public static OutputConstraint none() {
    return new OutputConstraint(null, null, null, null, null, null);
  }

  /** The engine's constraint for a request, or null for free text. */
  public Constraint engineConstraint() {
    if (jsonSchema != null) {
      return new Constraint.JsonSchema(jsonSchema);
    }
    if (outputSchema != null) {
      return new Constraint.JsonSchema(JsonSchemas.fromDdl(outputSchema));
    }
    if (regex != null) {
      return new Constraint.Regex(regex);
    }
    if (choices != null) {
      return new Constraint.Choice(choices);
    }
    if (grammar != null) {
      return new Constraint.Grammar(grammar);
    }
    return null;
  }

  /** The struct {@link #outputSchema} names, or null when there is none. */
  public StructType struct() {
    return outputSchema == null ? null : JsonSchemas.parseDdl(outputSchema);
  }

  /**
   * Checks on the driver what can be checked without the model: at most one constraint kind, an
   * output schema only with JSON, and that the constraint compiles (syntax and supported keywords).
   */
  void validate() {
    List<String> given = new ArrayList<>();
    if (jsonSchema != null) given.add("jsonSchema");
    if (regex != null) given.add("regex");
    if (choices != null) given.add("choices");
    if (grammar != null) given.add("grammar");
    if (given.size() > 1) {
      throw new IllegalArgumentException("give at most one of jsonSchema, regex, choices, grammar; got " + given);
    }
    if (outputSchema != null && (regex != null || choices != null || grammar != null)) {
      throw new IllegalArgumentException("outputSchema parses JSON output: use it alone or with jsonSchema, not with " + given);
    }
    Constraint c = engineConstraint();
    if (c != null) {
      CompiledConstraint.check(c);
    }
  }

  public OutputConstraint withJsonSchema(String v) {
    return new OutputConstraint(v, regex, choices, grammar, outputSchema, parsedCol);
  }

  public OutputConstraint withRegex(String v) {
    return new OutputConstraint(jsonSchema, v, choices, grammar, outputSchema, parsedCol);
  }

  public OutputConstraint withChoices(List<String> v) {
    return new OutputConstraint(jsonSchema, regex, v, grammar, outputSchema, parsedCol);
  }

  public OutputConstraint withGrammar(String v) {
    return new OutputConstraint(jsonSchema, regex, choices, v, outputSchema, parsedCol);
  }

  public OutputConstraint withOutputSchema(String ddl) {
    if (ddl != null) {
      JsonSchemas.parseDdl(ddl); // a bad DDL fails where it is given
    }
    return new OutputConstraint(jsonSchema, regex, choices, grammar, ddl, parsedCol);
  }

  public OutputConstraint withParsedCol(String v) {
    return new OutputConstraint(jsonSchema, regex, choices, grammar, outputSchema, v);
  }
}
