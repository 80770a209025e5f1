package dev.ember.engine.model;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * Gated FFN {@code down(act(gate(x), up(x)))}: plain SwiGLU {@code silu(gate) · up}, or one of
 * its clamped variants ({@link Activation}); optional biases on the three projections (gpt-oss's
 * experts have them).
 *
 * @param biases null, or the biases of gate, up and down (each may be null)
 */
public record SwiGlu(WeightMatrix gate, WeightMatrix up, WeightMatrix down, Activation activation, Biases biases) implements FeedForward {
    private static final ForwardScratch.Slot GATE = new ForwardScratch.Slot("ffn gate"), UP = new ForwardScratch.Slot("ffn up");

    /**
     * How gate and up combine: with {@code limit > 0} the gate is capped at the limit and up
     * clamped to [-limit, limit] first; then {@code gate · sigmoid(alpha · gate) · (up + upShift)}.
     */
    public record Activation(float limit, float alpha, float upShift) {
        /** silu(gate) · up. */
        public static final Activation SILU = new Activation(0f, 1f, 0f);
        /** gpt-oss's experts (transformers' GptOssExperts._apply_gate, llama.cpp's swiglu_oai): limit 7, alpha 1.702, (up + 1). */
        public static final Activation GPT_OSS = new Activation(7f, 1.702f, 1f);

        /** DeepSeek-V4's clamped SwiGLU: silu(min(gate, limit)) · clamp(up, ±limit); {@code limit} 0 is plain SiLU. */
        public static Activation clamped(float limit) {
            return limit > 0 ? new Activation(limit, 1f, 0f) : SILU;
        }

        boolean isSilu() { return alpha == 1f && upShift == 0f; }
    }

    /** Biases of the projections; any may be null. */
    public record Biases(float[] gate, float[] up, float[] down) {}

    public SwiGlu(WeightMatrix gate, WeightMatrix up, WeightMatrix down) {
        this(gate, up, down, Activation.SILU, null);
    }

    /** With a {@code clamp} limit > 0 (DeepSeek-V4), the gate is capped at the limit and the up projection clamped to [-limit, limit] first. */
    public SwiGlu(WeightMatrix gate, WeightMatrix up, WeightMatrix down, float clamp) {
        this(gate, up, down, Activation.clamped(clamp), null);
    }

    @Override
    public void forward(ForwardContext ctx, float[] in, float[] out) {
        forward(ctx, in, ctx.rows(), out);
    }

    /** The FFN over {@code rows} rows of {@code in} (MoE runs it on each expert's tokens only). */
    void forward(ForwardContext ctx, float[] in, int rows, float[] out) {
        int hidden = gate.rows();
        Kernels k = ctx.kernels();
        float[] g = ctx.scratch().floatsAtLeast(GATE, rows * hidden); // rows vary per expert (MoE)
        float[] u = ctx.scratch().floatsAtLeast(UP, rows * hidden);
        k.matmuls(ctx.pool(), new WeightMatrix[]{gate, up}, in, rows, new float[][]{g, u});
        // Per row, so that each element's position within the kernel's vector lanes (and thus its
        // rounding) never depends on how many rows are in the batch; rows are spread over the pool.
        float limit = activation.limit();
        ctx.pool().parallelFor(rows, r -> {
            int o = r * hidden;
            if (biases != null) {
                if (biases.gate() != null) k.add(g, o, biases.gate(), 0, hidden);
                if (biases.up() != null) k.add(u, o, biases.up(), 0, hidden);
            }
            if (limit > 0) {
                for (int i = o; i < o + hidden; i++) {
                    g[i] = Math.min(g[i], limit);
                    u[i] = Math.max(-limit, Math.min(u[i], limit));
                }
            }
            if (activation.isSilu()) {
                k.siluMul(g, o, u, o, hidden);
            } else {
                float alpha = activation.alpha(), shift = activation.upShift();
                for (int i = o; i < o + hidden; i++) {
                    float x = g[i];
                    g[i] = x * (float) (1.0 / (1.0 + Math.exp(-alpha * x))) * (u[i] + shift);
                }
            }
        });
        k.matmul(ctx.pool(), down, g, rows, out);
        if (biases != null && biases.down() != null) {
            int dim = down.rows();
            for (int r = 0; r < rows; r++) k.add(out, r * dim, biases.down(), 0, dim);
        }
    }
}
