package dev.ember.engine.model;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * Gated GELU (Gemma): {@code down(gelu_tanh(gate(x)) · up(x))}, with the tanh approximation of
 * GELU that transformers calls {@code gelu_pytorch_tanh} and llama.cpp's LLM_FFN_GELU computes.
 */
public record GeGlu(WeightMatrix gate, WeightMatrix up, WeightMatrix down) implements FeedForward {
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    @Override
    public void forward(ForwardContext ctx, float[] in, float[] out) {
        int rows = ctx.rows();
        int hidden = gate.rows();
        Kernels k = ctx.kernels();
        float[] g = new float[rows * hidden];
        float[] u = new float[rows * hidden];
        k.matmuls(ctx.pool(), new WeightMatrix[]{gate, up}, in, rows, new float[][]{g, u});
        for (int i = 0; i < rows * hidden; i++) g[i] = gelu(g[i]) * u[i];
        k.matmul(ctx.pool(), down, g, rows, out);
    }

    /** Element by element and with StrictMath, so a value never depends on its batch or on the JIT. */
    static float gelu(float x) {
        double v = x;
        return (float) (0.5 * v * (1.0 + StrictMath.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))));
    }
}
