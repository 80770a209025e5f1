package dev.ember.engine.model;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.kv.KvBlockPool;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * Multi-head attention with grouped KV heads (GQA; MHA when heads == kvHeads), optional Q/K/V
 * biases (Qwen2) and optional per-head RMSNorm of Q and K before RoPE (Qwen3). The KV state per
 * token is the roped key and the value of each KV head.
 */
public final class GroupedQueryAttention implements Attention {
    private final WeightMatrix wq, wk, wv, wo;
    private final float[] bq, bk, bv;
    private final RmsNorm qNorm, kNorm;
    private final Rope rope;
    private final int heads, kvHeads, headDim, valueDim;
    private final float scale;

    /** Biases and norms may be null. */
    public GroupedQueryAttention(WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix wo,
                                 float[] bq, float[] bk, float[] bv, RmsNorm qNorm, RmsNorm kNorm,
                                 Rope rope, int heads, int kvHeads, int headDim, int valueDim) {
        this.wq = wq; this.wk = wk; this.wv = wv; this.wo = wo;
        this.bq = bq; this.bk = bk; this.bv = bv;
        this.qNorm = qNorm; this.kNorm = kNorm;
        this.rope = rope;
        this.heads = heads; this.kvHeads = kvHeads; this.headDim = headDim; this.valueDim = valueDim;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        expect(wq, heads * headDim, "query"); expect(wk, kvHeads * headDim, "key"); expect(wv, kvHeads * valueDim, "value");
        if (wo.cols() != heads * valueDim) throw new ModelLoadException(wo.name() + ": expected " + heads * valueDim + " columns, found " + wo.cols());
    }

    private static void expect(WeightMatrix w, int rows, String what) {
        if (w.rows() != rows) throw new ModelLoadException(w.name() + ": " + what + " projection has " + w.rows() + " outputs, expected " + rows);
    }

    @Override public int keyWidth() { return kvHeads * headDim; }
    @Override public int valueWidth() { return kvHeads * valueDim; }

    @Override
    public void forward(ForwardContext ctx, int layer, float[] in, float[] out) {
        int rows = ctx.rows();
        Kernels k = ctx.kernels();
        int qDim = heads * headDim, kDim = kvHeads * headDim, vDim = kvHeads * valueDim;
        float[] q = new float[rows * qDim];
        float[] kx = new float[rows * kDim];
        float[] vx = new float[rows * vDim];
        k.matmul(ctx.pool(), wq, in, rows, q);
        k.matmul(ctx.pool(), wk, in, rows, kx);
        k.matmul(ctx.pool(), wv, in, rows, vx);
        ForwardBatch batch = ctx.batch();
        for (int r = 0; r < rows; r++) {
            if (bq != null) k.add(q, r * qDim, bq, 0, qDim);
            if (bk != null) k.add(kx, r * kDim, bk, 0, kDim);
            if (bv != null) k.add(vx, r * vDim, bv, 0, vDim);
            if (qNorm != null) qNorm.apply(k, q, r * qDim, q, r * qDim, heads);
            if (kNorm != null) kNorm.apply(k, kx, r * kDim, kx, r * kDim, kvHeads);
            rope.apply(q, r * qDim, heads, headDim, ctx.ropeTable(), r);
            rope.apply(kx, r * kDim, kvHeads, headDim, ctx.ropeTable(), r);
        }
        // Store this batch's keys and values first, so rows of one sequence see each other.
        KvBlockPool pool = batch.tables()[0].pool();
        float[] keys = pool.keys(layer);
        float[] values = pool.values(layer);
        for (int r = 0; r < rows; r++) {
            int slot = batch.tables()[r].slot(batch.positions()[r]);
            System.arraycopy(kx, r * kDim, keys, slot * kDim, kDim);
            System.arraycopy(vx, r * vDim, values, slot * vDim, vDim);
        }
        float[] att = new float[rows * heads * valueDim];
        int group = heads / kvHeads;
        ctx.pool().parallelFor(rows * heads, task -> {
            int r = task / heads;
            int h = task % heads;
            int kvh = h / group;
            int pos = batch.positions()[r];
            BlockTable table = batch.tables()[r];
            float[] scores = Scratch.floats(pos + 1);
            int qOff = r * qDim + h * headDim;
            for (int t = 0; t <= pos; t++) {
                scores[t] = k.dot(q, qOff, keys, table.slot(t) * kDim + kvh * headDim, headDim) * scale;
            }
            k.softmax(scores, 0, pos + 1);
            int outOff = (r * heads + h) * valueDim;
            for (int t = 0; t <= pos; t++) {
                k.axpy(scores[t], values, table.slot(t) * vDim + kvh * valueDim, att, outOff, valueDim);
            }
        });
        k.matmul(ctx.pool(), wo, att, rows, out);
    }
}
