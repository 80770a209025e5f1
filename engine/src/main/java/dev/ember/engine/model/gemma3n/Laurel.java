package dev.ember.engine.model.gemma3n;

import dev.ember.engine.model.ForwardContext;
import dev.ember.engine.model.RmsNorm;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * Gemma 3n's learned augmented residual layer (LAuReL, {@code Gemma3nTextLaurelBlock}): a
 * low-rank branch beside attention, {@code x + norm(right · (left · x))}, with {@code left}
 * {@code rank × dim} and {@code right} {@code dim × rank}.
 */
public record Laurel(WeightMatrix left, WeightMatrix right, RmsNorm postNorm) {
    public float[] apply(ForwardContext ctx, float[] x, int rows) {
        int dim = right.rows();
        float[] low = new float[rows * left.rows()];
        float[] out = new float[rows * dim];
        ctx.kernels().matmul(ctx.pool(), left, x, rows, low);
        ctx.kernels().matmul(ctx.pool(), right, low, rows, out);
        postNorm.apply(ctx.kernels(), out, 0, out, 0, rows);
        ctx.kernels().add(out, 0, x, 0, rows * dim);
        return out;
    }
}
