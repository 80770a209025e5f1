package dev.ember.engine.model;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * Gated GELU (Gemma): {@code down(gelu_tanh(gate(x)) · up(x))}, with the tanh approximation of
 * GELU that transformers calls {@code gelu_pytorch_tanh} and llama.cpp's LLM_FFN_GELU computes.
 *
 * <p>Gemma 3n's activation sparsity keeps only the gate values above a cutoff before the GELU:
 * {@code relu(g - (mean(g) + std(g) · m))} per row, where {@code m} is the standard normal's
 * quantile of the target sparsity ({@link GaussianTopK}), so about that fraction of a normally
 * distributed row becomes 0. {@code sparsityStdMultiplier} is m, or negative infinity for a
 * dense layer (the quantile of sparsity 0, as llama.cpp's converter writes it).
 */
public record GeGlu(WeightMatrix gate, WeightMatrix up, WeightMatrix down, float sparsityStdMultiplier) implements FeedForward {
    private static final ForwardScratch.Slot GATE = new ForwardScratch.Slot("ffn gate"), UP = new ForwardScratch.Slot("ffn up");

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    public GeGlu(WeightMatrix gate, WeightMatrix up, WeightMatrix down) {
        this(gate, up, down, Float.NEGATIVE_INFINITY);
    }

    public boolean sparse() { return Float.isFinite(sparsityStdMultiplier); }

    @Override
    public void forward(ForwardContext ctx, float[] in, float[] out) {
        int rows = ctx.rows();
        int hidden = gate.rows();
        Kernels k = ctx.kernels();
        float[] g = ctx.scratch().floats(GATE, rows * hidden);
        float[] u = ctx.scratch().floats(UP, rows * hidden);
        k.matmuls(ctx.pool(), new WeightMatrix[]{gate, up}, in, rows, new float[][]{g, u});
        if (sparse()) for (int r = 0; r < rows; r++) GaussianTopK.apply(g, r * hidden, hidden, sparsityStdMultiplier);
        for (int i = 0; i < rows * hidden; i++) g[i] = gelu(g[i]) * u[i];
        k.matmul(ctx.pool(), down, g, rows, out);
    }

    /** Element by element and with StrictMath, so a value never depends on its batch or on the JIT. */
    public static float gelu(float x) {
        double v = x;
        return (float) (0.5 * v * (1.0 + StrictMath.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))));
    }
}
