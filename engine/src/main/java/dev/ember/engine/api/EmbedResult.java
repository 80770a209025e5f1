package dev.ember.engine.api;

/**
 * One text's embedding: the vector (null on error), the tokens it was computed from (after any
 * truncation), and the error, or null.
 */
public record EmbedResult(float[] embedding, int tokens, boolean truncated, String error) {
    public static EmbedResult failed(String error) {
        return new EmbedResult(null, 0, false, error);
    }

    public boolean ok() { return error == null; }
}
