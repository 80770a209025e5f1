package dev.ember.engine.model;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * Dense SwiGLU: {@code down(silu(gate(x)) · up(x))}. With a {@code clamp} limit > 0 (DeepSeek-V4),
 * the gate is capped at the limit and the up projection clamped to [-limit, limit] first.
 */
public record SwiGlu(WeightMatrix gate, WeightMatrix up, WeightMatrix down, float clamp) implements FeedForward {
    public SwiGlu(WeightMatrix gate, WeightMatrix up, WeightMatrix down) {
        this(gate, up, down, 0f);
    }

    @Override
    public void forward(ForwardContext ctx, float[] in, float[] out) {
        forward(ctx, in, ctx.rows(), out);
    }

    /** The FFN over {@code rows} rows of {@code in} (MoE runs it on each expert's tokens only). */
    void forward(ForwardContext ctx, float[] in, int rows, float[] out) {
        int hidden = gate.rows();
        Kernels k = ctx.kernels();
        float[] g = new float[rows * hidden];
        float[] u = new float[rows * hidden];
        k.matmuls(ctx.pool(), new WeightMatrix[]{gate, up}, in, rows, new float[][]{g, u});
        // Per row, so that each element's position within the kernel's vector lanes (and thus its
        // rounding) never depends on how many rows are in the batch.
        if (clamp > 0) {
            for (int i = 0; i < rows * hidden; i++) {
                g[i] = Math.min(g[i], clamp);
                u[i] = Math.max(-clamp, Math.min(u[i], clamp));
            }
        }
        for (int r = 0; r < rows; r++) k.siluMul(g, r * hidden, u, r * hidden, hidden);
        k.matmul(ctx.pool(), down, g, rows, out);
    }
}
