package dev.ember.engine.model;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.kv.KvBlockPool;
import dev.ember.engine.kv.LatentKvSpec;
import dev.ember.engine.kv.LayerCacheSpec;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * DeepSeek's multi-head latent attention (MLA) in the absorbed form. The cache keeps, per token,
 * only the normalized KV latent ({@code kvRank} floats) and the shared RoPE key ({@code ropeDim}):
 * the per-head keys and values are never materialized. For head h,
 * {@code q·k = (W_UKₕᵀ q_nope)·c + q_pe·k_pe} and {@code out = W_UVₕ (Σ p_t c_t)}, so the
 * up-projections are applied to the query and to the attention-weighted latent instead of to
 * every cached token.
 */
public final class LatentAttention implements Attention {
    private final WeightMatrix wq;        // hidden → heads·(nope+rope), or null with q-LoRA
    private final WeightMatrix wqA;       // hidden → qRank (q-LoRA)
    private final RmsNorm qANorm;
    private final WeightMatrix wqB;       // qRank → heads·(nope+rope)
    private final WeightMatrix wkvA;      // hidden → kvRank + rope
    private final RmsNorm kvANorm;
    private final WeightMatrix[] kAbsorb; // per head: kvRank × nope  (W_UKₕᵀ)
    private final WeightMatrix[] vUp;     // per head: v × kvRank     (W_UVₕ)
    private final WeightMatrix wo;
    private final Rope rope;
    private final int heads, nope, ropeDim, vDim, kvRank;
    private final float scale;

    /** Either {@code wq} or the three q-LoRA parts are given. */
    public LatentAttention(WeightMatrix wq, WeightMatrix wqA, RmsNorm qANorm, WeightMatrix wqB, WeightMatrix wkvA, RmsNorm kvANorm,
                           WeightMatrix[] kAbsorb, WeightMatrix[] vUp, WeightMatrix wo, Rope rope,
                           int heads, int nope, int ropeDim, int vDim, int kvRank, float scale) {
        this.wq = wq; this.wqA = wqA; this.qANorm = qANorm; this.wqB = wqB;
        this.wkvA = wkvA; this.kvANorm = kvANorm; this.kAbsorb = kAbsorb; this.vUp = vUp; this.wo = wo;
        this.rope = rope;
        this.heads = heads; this.nope = nope; this.ropeDim = ropeDim; this.vDim = vDim; this.kvRank = kvRank;
        this.scale = scale;
        int qOut = heads * (nope + ropeDim);
        WeightMatrix qLast = wq != null ? wq : wqB;
        if (qLast.rows() != qOut) throw new ModelLoadException(qLast.name() + ": " + qLast.rows() + " outputs, expected heads x (nope + rope) = " + qOut);
        if (wkvA.rows() != kvRank + ropeDim) throw new ModelLoadException(wkvA.name() + ": " + wkvA.rows() + " outputs, expected kv_lora_rank + rope = " + (kvRank + ropeDim));
        if (wo.cols() != heads * vDim) throw new ModelLoadException(wo.name() + ": " + wo.cols() + " inputs, expected heads x v = " + heads * vDim);
        if (kAbsorb.length != heads || vUp.length != heads) throw new ModelLoadException("MLA up-projections for " + kAbsorb.length + " heads, expected " + heads);
    }

    @Override public LayerCacheSpec cacheSpec() { return new LatentKvSpec(kvRank, ropeDim); }

    @Override
    public void forward(ForwardContext ctx, int layer, float[] in, float[] out) {
        Kernels k = ctx.kernels();
        int rows = ctx.rows();
        int qkDim = nope + ropeDim;
        int qDim = heads * qkDim;
        int width = kvRank + ropeDim;
        float[] q = new float[rows * qDim];
        if (wq != null) {
            k.matmul(ctx.pool(), wq, in, rows, q);
        } else {
            float[] qa = new float[rows * wqA.rows()];
            k.matmul(ctx.pool(), wqA, in, rows, qa);
            qANorm.apply(k, qa, 0, qa, 0, rows);
            k.matmul(ctx.pool(), wqB, qa, rows, q);
        }
        float[] kv = new float[rows * width];
        k.matmul(ctx.pool(), wkvA, in, rows, kv);
        ForwardBatch batch = ctx.batch();
        KvBlockPool pool = batch.tables()[0].pool();
        for (int r = 0; r < rows; r++) {
            kvANorm.apply(k, kv, r * width, kv, r * width, 1);
            rope.apply(kv, r * width + kvRank, 1, ropeDim, ctx.ropeTable(), r);
            rope.apply(q, r * qDim + nope, heads, qkDim, ctx.ropeTable(), r);
            int slot = batch.tables()[r].slot(batch.positions()[r]);
            pool.writeKey(layer, slot, kv, r * width);
        }
        // Absorb W_UK into the queries: per head, [rows × nope] → [rows × kvRank].
        float[] qAbs = new float[heads * rows * kvRank];
        float[] qNope = new float[rows * nope];
        float[] headOut = new float[rows * kvRank];
        for (int h = 0; h < heads; h++) {
            for (int r = 0; r < rows; r++) System.arraycopy(q, r * qDim + h * qkDim, qNope, r * nope, nope);
            k.matmul(ctx.pool(), kAbsorb[h], qNope, rows, headOut);
            System.arraycopy(headOut, 0, qAbs, h * rows * kvRank, rows * kvRank);
        }
        float[] latentOut = new float[heads * rows * kvRank];
        ctx.pool().parallelFor(rows * heads, task -> {
            int r = task / heads;
            int h = task % heads;
            BlockTable table = batch.tables()[r];
            int n = batch.positions()[r] + 1;
            int qa = (h * rows + r) * kvRank;
            int qp = r * qDim + h * qkDim + nope;
            CachedAttention.Heads head = new CachedAttention.Heads() {
                @Override public int count() { return 1; }

                @Override
                public float score(Kernels kk, int g, float[] row, int off) {
                    return (kk.dot(qAbs, qa, row, off, kvRank) + kk.dot(q, qp, row, off + kvRank, ropeDim)) * scale;
                }

                @Override public int outOffset(int g) { return qa; }
            };
            // One row per token is both key (latent and RoPE key) and value (the latent).
            CachedAttention.Rows cached = CachedAttention.paged(pool, layer, table, n, false);
            CachedAttention.attend(k, cached, 0, width, cached, 0, kvRank, head, null, 0, latentOut);
        });
        // Up-project the attended latents with W_UV per head, into [rows × heads·v].
        float[] att = new float[rows * heads * vDim];
        float[] lat = new float[rows * kvRank];
        float[] v = new float[rows * vDim];
        for (int h = 0; h < heads; h++) {
            System.arraycopy(latentOut, h * rows * kvRank, lat, 0, rows * kvRank);
            k.matmul(ctx.pool(), vUp[h], lat, rows, v);
            for (int r = 0; r < rows; r++) System.arraycopy(v, r * vDim, att, r * heads * vDim + h * vDim, vDim);
        }
        k.matmul(ctx.pool(), wo, att, rows, out);
    }
}
