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
    private static final ForwardScratch.Slot QUERIES = new ForwardScratch.Slot("mla queries"), QUERY_LATENTS = new ForwardScratch.Slot("mla query latents"),
            KEY_LATENTS = new ForwardScratch.Slot("mla key latents"), ABSORBED = new ForwardScratch.Slot("mla absorbed queries"),
            NOPE = new ForwardScratch.Slot("mla nope queries"), HEAD_OUT = new ForwardScratch.Slot("mla head queries"),
            LATENT_OUT = new ForwardScratch.Slot("mla latent output"), OUTPUT = new ForwardScratch.Slot("mla output"),
            LATENT = new ForwardScratch.Slot("mla head latent"), VALUES = new ForwardScratch.Slot("mla head values");

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

    /** Query rows per tile: they share each decoded cache block. */
    private static final int TILE_ROWS = 16;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[4][0]);

    private static float[] scratch(int i, int size) {
        float[][] s = SCRATCH.get();
        if (s[i].length < size) s[i] = new float[Math.max(size, 2 * s[i].length)];
        return s[i];
    }

    /**
     * Rows [r0, r1) of one sequence, heads [h0, h1): MLA is multi-query attention over one cached row
     * per token (latent and RoPE key, width kvRank + ropeDim) whose value is its latent. Each cache
     * block is decoded once for the tile and all heads, turned dimension-major, and scored a
     * vector of keys at a time against each head's query (absorbed latent query, then RoPE query);
     * values are summed in registers. A row's result does not depend on its tile.
     */
    private void attendTile(Kernels k, KvBlockPool pool, int layer, ForwardBatch batch, int rows, float[] q, float[] qAbs,
                            int r0, int r1, int h0, int h1, float[] latentOut) {
        int width = kvRank + ropeDim;
        int qDim = heads * (nope + ropeDim);
        int bs = pool.blockSize();
        BlockTable table = batch.tables()[r0];
        int nMax = batch.positions()[r1 - 1] + 1;
        int padded = (nMax + bs - 1) / bs * bs;
        int tileRows = r1 - r0;
        float[] queries = scratch(0, tileRows * heads * width);
        for (int r = r0; r < r1; r++) {
            for (int h = h0; h < h1; h++) {
                int o = ((r - r0) * heads + h) * width;
                System.arraycopy(qAbs, (h * rows + r) * kvRank, queries, o, kvRank);
                System.arraycopy(q, r * qDim + h * (nope + ropeDim) + nope, queries, o + kvRank, ropeDim);
            }
        }
        float[] scores = scratch(1, tileRows * heads * padded);
        float[] block = scratch(2, bs * width);
        float[] columns = scratch(3, width * bs);
        for (int t0 = 0; t0 < nMax; t0 += bs) {
            int cnt = Math.min(bs, nMax - t0);
            pool.readKeys(layer, table.slot(t0), cnt, 0, width, block, 0);
            for (int d = 0; d < width; d++) {
                for (int j = 0; j < cnt; j++) columns[d * bs + j] = block[j * width + d];
                for (int j = cnt; j < bs; j++) columns[d * bs + j] = 0f;
            }
            for (int r = Math.max(r0, r0 + t0 - batch.positions()[r0]); r < r1; r++) { // rows that see this block
                int qr = (r - r0) * heads + h0; // the heads share each key load
                k.scoresBlocks(queries, qr * width, width, h1 - h0, columns, 0, width, bs, scores, qr * padded + t0, padded);
            }
        }
        for (int r = r0; r < r1; r++) {
            int n = batch.positions()[r] + 1;
            for (int h = h0; h < h1; h++) {
                int o = ((r - r0) * heads + h) * padded;
                for (int t = 0; t < n; t++) scores[o + t] *= scale;
                k.softmax(scores, o, n);
            }
        }
        for (int t0 = 0; t0 < nMax; t0 += bs) {
            int cnt = Math.min(bs, nMax - t0);
            pool.readKeys(layer, table.slot(t0), cnt, 0, width, block, 0);
            for (int r = Math.max(r0, r0 + t0 - batch.positions()[r0]); r < r1; r++) {
                int count = Math.min(bs, batch.positions()[r] + 1 - t0);
                k.accumulateRowsMany(scores, ((r - r0) * heads + h0) * padded + t0, padded, h1 - h0, block, 0, width, count,
                        latentOut, (h0 * rows + r) * kvRank, rows * kvRank, kvRank);
            }
        }
    }

    @Override public LayerCacheSpec cacheSpec() { return new LatentKvSpec(kvRank, ropeDim); }

    @Override
    public void forward(ForwardContext ctx, int layer, float[] in, float[] out) {
        Kernels k = ctx.kernels();
        int rows = ctx.rows();
        int qkDim = nope + ropeDim;
        int qDim = heads * qkDim;
        int width = kvRank + ropeDim;
        ForwardScratch scratch = ctx.scratch();
        float[] q = scratch.floats(QUERIES, rows * qDim);
        if (wq != null) {
            k.matmul(ctx.pool(), wq, in, rows, q);
        } else {
            float[] qa = scratch.floats(QUERY_LATENTS, rows * wqA.rows());
            k.matmul(ctx.pool(), wqA, in, rows, qa);
            qANorm.apply(k, qa, 0, qa, 0, rows);
            k.matmul(ctx.pool(), wqB, qa, rows, q);
        }
        float[] kv = scratch.floats(KEY_LATENTS, rows * width);
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
        float[] qAbs = scratch.floats(ABSORBED, heads * rows * kvRank);
        float[] qNope = scratch.floats(NOPE, rows * nope);
        float[] headOut = scratch.floats(HEAD_OUT, rows * kvRank);
        for (int h = 0; h < heads; h++) {
            for (int r = 0; r < rows; r++) System.arraycopy(q, r * qDim + h * qkDim, qNope, r * nope, nope);
            k.matmul(ctx.pool(), kAbsorb[h], qNope, rows, headOut);
            System.arraycopy(headOut, 0, qAbs, h * rows * kvRank, rows * kvRank);
        }
        float[] latentOut = scratch.zeroed(LATENT_OUT, heads * rows * kvRank); // summed into
        int[] tiles = CachedAttention.tiles(batch, rows, TILE_ROWS);
        int nt = tiles.length - 1;
        // Few tiles (decode of a few sequences): split the heads too, so every thread has work.
        int splits = Math.min(heads, Math.max(1, (2 * ctx.pool().threads() + nt - 1) / nt));
        int per = (heads + splits - 1) / splits;
        ctx.pool().parallelFor(nt * splits, task -> {
            int t = task / splits, h0 = (task % splits) * per;
            attendTile(k, pool, layer, batch, rows, q, qAbs, tiles[t], tiles[t + 1], h0, Math.min(heads, h0 + per), latentOut);
        });
        // Up-project the attended latents with W_UV per head, into [rows × heads·v].
        float[] att = scratch.floats(OUTPUT, rows * heads * vDim);
        float[] lat = scratch.floats(LATENT, rows * kvRank);
        float[] v = scratch.floats(VALUES, rows * vDim);
        for (int h = 0; h < heads; h++) {
            System.arraycopy(latentOut, h * rows * kvRank, lat, 0, rows * kvRank);
            k.matmul(ctx.pool(), vUp[h], lat, rows, v);
            for (int r = 0; r < rows; r++) System.arraycopy(v, r * vDim, att, r * heads * vDim + h * vDim, vDim);
        }
        k.matmul(ctx.pool(), wo, att, rows, out);
    }
}
