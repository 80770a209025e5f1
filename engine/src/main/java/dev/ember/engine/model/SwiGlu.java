package dev.ember.engine.model;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.tensor.WeightMatrix;

/** Dense SwiGLU: {@code down(silu(gate(x)) · up(x))}. */
public record SwiGlu(WeightMatrix gate, WeightMatrix up, WeightMatrix down) implements FeedForward {
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
        k.matmul(ctx.pool(), gate, in, rows, g);
        k.matmul(ctx.pool(), up, in, rows, u);
        // Per row, so that each element's position within the kernel's vector lanes (and thus its
        // rounding) never depends on how many rows are in the batch.
        for (int r = 0; r < rows; r++) k.siluMul(g, r * hidden, u, r * hidden, hidden);
        k.matmul(ctx.pool(), down, g, rows, out);
    }
}
