package dev.ember.engine.api;

import java.util.List;

/**
 * What a request's output must look like. The engine compiles it once per (constraint, model) into
 * an automaton over the model's own token bytes and masks every token that would leave it, so the
 * output always matches; end-of-generation is allowed only where the output is complete.
 */
public sealed interface Constraint {

    /** Compact JSON (no whitespace) valid against a JSON Schema given as JSON text. */
    record JsonSchema(String schema) implements Constraint {
        public JsonSchema {
            if (schema == null || schema.isBlank()) throw new IllegalArgumentException("JSON schema must not be empty");
        }
    }

    /** Text the java.util.regex pattern matches as a whole. */
    record Regex(String pattern) implements Constraint {
        public Regex {
            if (pattern == null) throw new IllegalArgumentException("regex must not be null");
        }
    }

    /** Exactly one of the given strings. */
    record Choice(List<String> options) implements Constraint {
        public Choice {
            if (options == null || options.isEmpty()) throw new IllegalArgumentException("choice needs at least one option");
            options = List.copyOf(options);
        }
    }

    /**
     * A sentence of a llama.cpp GBNF grammar, starting at rule {@code root}. Recursive rules are
     * unrolled up to {@code maxDepth} open uses of one rule on the expansion path.
     */
    record Grammar(String gbnf, int maxDepth) implements Constraint {
        public static final int DEFAULT_DEPTH = 3;

        public Grammar {
            if (gbnf == null || gbnf.isBlank()) throw new IllegalArgumentException("grammar must not be empty");
            if (maxDepth < 1) throw new IllegalArgumentException("grammar depth must be >= 1, got " + maxDepth);
        }

        public Grammar(String gbnf) { this(gbnf, DEFAULT_DEPTH); }
    }

    /** A short name of the kind, for messages: "JSON schema", "regex", "choice" or "grammar". */
    default String kind() {
        return switch (this) {
            case JsonSchema j -> "JSON schema";
            case Regex r -> "regex";
            case Choice c -> "choice";
            case Grammar g -> "grammar";
        };
    }
}
