package dev.ember.engine.model;

/**
 * LayerNorm with scale and bias: {@code (x - mean) / sqrt(var + eps) · w + b} per row (BERT's
 * post-norm). Mean and variance are accumulated in double in a fixed order, so a row's result
 * never depends on the other rows.
 */
public record LayerNorm(float[] weight, float[] bias, float eps) {
    /** Normalizes {@code rows} consecutive rows of {@code weight.length} floats in place. */
    public void apply(float[] x, int rows) {
        int n = weight.length;
        for (int r = 0; r < rows; r++) {
            int off = r * n;
            double sum = 0;
            for (int i = 0; i < n; i++) sum += x[off + i];
            double mean = sum / n;
            double var = 0;
            for (int i = 0; i < n; i++) {
                double d = x[off + i] - mean;
                var += d * d;
            }
            double inv = 1.0 / Math.sqrt(var / n + eps);
            for (int i = 0; i < n; i++) x[off + i] = (float) ((x[off + i] - mean) * inv * weight[i] + bias[i]);
        }
    }
}
