package dev.ember.engine.model;

/**
 * How a sequence's hidden states become one embedding, numbered as llama.cpp's
 * {@code llama_pooling_type} ({@code {arch}.pooling_type} in GGUF): the mean over tokens, the
 * first token's state (CLS) or the last token's (decoder embedding models, whose last token has
 * seen the whole text). Sums run in double in token order, so a result depends only on its own
 * sequence.
 */
public enum Pooling {
    MEAN(1), CLS(2), LAST(3);

    private final int ggufValue;

    Pooling(int ggufValue) { this.ggufValue = ggufValue; }

    public int ggufValue() { return ggufValue; }

    /** The pooling for a GGUF {@code pooling_type}; null for none/unspecified (0, -1) or rank (4). */
    public static Pooling fromGguf(long v) {
        for (Pooling p : values()) if (p.ggufValue == v) return p;
        return null;
    }

    /** Pools {@code tokens} rows of {@code dim} floats starting at {@code hidden[off]}. */
    public float[] pool(float[] hidden, int off, int tokens, int dim) {
        float[] out = new float[dim];
        switch (this) {
            case CLS -> System.arraycopy(hidden, off, out, 0, dim);
            case LAST -> System.arraycopy(hidden, off + (tokens - 1) * dim, out, 0, dim);
            case MEAN -> {
                for (int i = 0; i < dim; i++) {
                    double s = 0;
                    for (int t = 0; t < tokens; t++) s += hidden[off + t * dim + i];
                    out[i] = (float) (s / tokens);
                }
            }
        }
        return out;
    }

    /** Scales {@code v} to unit L2 norm in place (sentence-transformers' Normalize; a zero vector stays zero). */
    public static void normalize(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        double norm = Math.sqrt(s);
        if (norm == 0) return;
        for (int i = 0; i < v.length; i++) v[i] = (float) (v[i] / norm);
    }
}
