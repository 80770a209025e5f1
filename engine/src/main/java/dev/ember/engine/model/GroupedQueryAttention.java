package dev.ember.engine.model;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.kv.KvBlockPool;
import dev.ember.engine.kv.LayerCacheSpec;
import dev.ember.engine.kv.PagedKvSpec;
import dev.ember.engine.kv.SharedKvSpec;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * Multi-head attention with grouped KV heads (GQA; MHA when heads == kvHeads), optional Q/K/V
 * biases (Qwen2) and output bias (gpt-oss), and optional per-head RMSNorm of Q and K before RoPE
 * (Qwen3). The KV state per token is the roped key and the value of each KV head; Gemma 3n also
 * RMS-norms the values, and its KV-shared layers store nothing and read an earlier layer's rows
 * instead.
 */
public final class GroupedQueryAttention implements Attention {
    private static final ForwardScratch.Slot QUERIES = new ForwardScratch.Slot("attention queries"), KEYS = new ForwardScratch.Slot("attention keys"),
            VALUES = new ForwardScratch.Slot("attention values"), OUTPUT = new ForwardScratch.Slot("attention output");

    private final WeightMatrix wq, wk, wv, wo;
    private final float[] bq, bk, bv, bo;
    private final float[] sinks;
    private final RmsNorm qNorm, kNorm, vNorm;
    /** The layer whose cached rows this one reads: its own, or an earlier one's (Gemma 3n's KV sharing). */
    private final int kvFrom;
    private final Rope rope;
    private final int heads, kvHeads, headDim, valueDim;
    private final float scale;
    private final float softcap;
    private final int window;
    private final boolean ownRope;

    /** Biases and norms may be null. */
    public GroupedQueryAttention(WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix wo,
                                 float[] bq, float[] bk, float[] bv, RmsNorm qNorm, RmsNorm kNorm,
                                 Rope rope, int heads, int kvHeads, int headDim, int valueDim) {
        this(wq, wk, wv, wo, bq, bk, bv, qNorm, kNorm, rope, heads, kvHeads, headDim, valueDim, Scoring.PLAIN);
    }

    /**
     * How scores are made beyond {@code q·k}: the scale (null: 1/sqrt(headDim)), soft-capping
     * {@code cap · tanh(s / cap)} when {@code softcap > 0} (Gemma 2), and a sliding window: a
     * query at position p sees keys at positions > p - window when {@code window > 0}, as
     * transformers' sliding_window and llama.cpp's standard SWA mask do. {@code ownRope}: this
     * layer's RoPE is not the decoder's (Gemma 3's local layers), so it makes its own table.
     * {@code sinks}, when not null, holds one learned logit per query head that joins that head's
     * softmax and takes probability mass without a value (gpt-oss's attention sinks).
     */
    public record Scoring(Float scale, float softcap, int window, boolean ownRope, float[] sinks) {
        public static final Scoring PLAIN = new Scoring(null, 0f, 0, false);

        public Scoring(Float scale, float softcap, int window) {
            this(scale, softcap, window, false);
        }

        public Scoring(Float scale, float softcap, int window, boolean ownRope) {
            this(scale, softcap, window, ownRope, null);
        }
    }

    public GroupedQueryAttention(WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix wo,
                                 float[] bq, float[] bk, float[] bv, RmsNorm qNorm, RmsNorm kNorm,
                                 Rope rope, int heads, int kvHeads, int headDim, int valueDim, Scoring scoring) {
        this(wq, wk, wv, wo, bq, bk, bv, null, qNorm, kNorm, null, -1, rope, heads, kvHeads, headDim, valueDim, scoring);
    }

    /** With an output bias {@code bo} (may be null). */
    public GroupedQueryAttention(WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix wo,
                                 float[] bq, float[] bk, float[] bv, float[] bo, RmsNorm qNorm, RmsNorm kNorm,
                                 Rope rope, int heads, int kvHeads, int headDim, int valueDim, Scoring scoring) {
        this(wq, wk, wv, wo, bq, bk, bv, bo, qNorm, kNorm, null, -1, rope, heads, kvHeads, headDim, valueDim, scoring);
    }

    /**
     * Gemma 3n's attention: values RMS-normed per head without a scale ({@code vNorm}, weights of
     * ones), and, when {@code kvFrom >= 0}, no keys or values of its own: the layer scores its
     * queries against the rows layer {@code kvFrom} cached for the same positions ({@code wk},
     * {@code wv} and {@code kNorm} are then null), so it needs no cache memory
     * ({@link SharedKvSpec}).
     */
    public GroupedQueryAttention(WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix wo,
                                 RmsNorm qNorm, RmsNorm kNorm, RmsNorm vNorm, int kvFrom,
                                 Rope rope, int heads, int kvHeads, int headDim, Scoring scoring) {
        this(wq, wk, wv, wo, null, null, null, null, qNorm, kNorm, vNorm, kvFrom, rope, heads, kvHeads, headDim, headDim, scoring);
    }

    private GroupedQueryAttention(WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix wo,
                                  float[] bq, float[] bk, float[] bv, float[] bo, RmsNorm qNorm, RmsNorm kNorm, RmsNorm vNorm, int kvFrom,
                                  Rope rope, int heads, int kvHeads, int headDim, int valueDim, Scoring scoring) {
        this.vNorm = vNorm;
        this.kvFrom = kvFrom;
        this.bo = bo;
        this.sinks = scoring.sinks();
        if (sinks != null && sinks.length != heads) throw new ModelLoadException("attention sinks: " + sinks.length + " for " + heads + " heads");
        if (bo != null && bo.length != wo.rows()) throw new ModelLoadException(wo.name() + ": output bias has " + bo.length + " entries for " + wo.rows() + " outputs");
        this.softcap = scoring.softcap();
        this.window = scoring.window();
        this.ownRope = scoring.ownRope();
        this.wq = wq; this.wk = wk; this.wv = wv; this.wo = wo;
        this.bq = bq; this.bk = bk; this.bv = bv;
        this.qNorm = qNorm; this.kNorm = kNorm;
        this.rope = rope;
        this.heads = heads; this.kvHeads = kvHeads; this.headDim = headDim; this.valueDim = valueDim;
        this.scale = scoring.scale() != null ? scoring.scale() : (float) (1.0 / Math.sqrt(headDim));
        expect(wq, heads * headDim, "query");
        if (kvFrom < 0) {
            expect(wk, kvHeads * headDim, "key");
            expect(wv, kvHeads * valueDim, "value");
        }
        if (wo.cols() != heads * valueDim) throw new ModelLoadException(wo.name() + ": expected " + heads * valueDim + " columns, found " + wo.cols());
    }

    private static void expect(WeightMatrix w, int rows, String what) {
        if (w.rows() != rows) throw new ModelLoadException(w.name() + ": " + what + " projection has " + w.rows() + " outputs, expected " + rows);
    }

    @Override
    public LayerCacheSpec cacheSpec() {
        return kvFrom >= 0 ? new SharedKvSpec(kvFrom) : new PagedKvSpec(kvHeads, headDim, valueDim);
    }

    @Override
    public void forward(ForwardContext ctx, int layer, float[] in, float[] out) {
        int rows = ctx.rows();
        Kernels k = ctx.kernels();
        int qDim = heads * headDim, kDim = kvHeads * headDim, vDim = kvHeads * valueDim;
        float[] q = ctx.scratch().floats(QUERIES, rows * qDim);
        ForwardBatch batch = ctx.batch();
        float[] ropeTable = ownRope ? rope.table(batch.positions(), rows) : ctx.ropeTable();
        KvBlockPool pool = batch.tables()[0].pool();
        float[] att = ctx.scratch().zeroed(OUTPUT, rows * heads * valueDim); // summed into
        if (kvFrom >= 0) { // the source layer has stored this batch's rows already (layers run in order)
            k.matmul(ctx.pool(), wq, in, rows, q);
            for (int r = 0; r < rows; r++) {
                if (qNorm != null) qNorm.apply(k, q, r * qDim, q, r * qDim, heads);
                rope.apply(q, r * qDim, heads, headDim, ropeTable, r);
            }
            attendAll(ctx, k, pool, kvFrom, batch, q, rows, att);
            project(ctx, k, att, rows, out);
            return;
        }
        float[] kx = ctx.scratch().floats(KEYS, rows * kDim);
        float[] vx = ctx.scratch().floats(VALUES, rows * vDim);
        k.matmuls(ctx.pool(), new WeightMatrix[]{wq, wk, wv}, in, rows, new float[][]{q, kx, vx});
        for (int r = 0; r < rows; r++) {
            if (bq != null) k.add(q, r * qDim, bq, 0, qDim);
            if (bk != null) k.add(kx, r * kDim, bk, 0, kDim);
            if (bv != null) k.add(vx, r * vDim, bv, 0, vDim);
            if (vNorm != null) vNorm.apply(k, vx, r * vDim, vx, r * vDim, kvHeads);
            if (qNorm != null) qNorm.apply(k, q, r * qDim, q, r * qDim, heads);
            if (kNorm != null) kNorm.apply(k, kx, r * kDim, kx, r * kDim, kvHeads);
            rope.apply(q, r * qDim, heads, headDim, ropeTable, r);
            rope.apply(kx, r * kDim, kvHeads, headDim, ropeTable, r);
        }
        // Store this batch's keys and values first, so rows of one sequence see each other. A
        // prompt's rows in parallel (each writes its own slot): encoding and scattering them on one
        // thread left the other idle for ~5 % of a scoring run. A few decode rows are not worth
        // waking the pool for.
        boolean columns = pool.columnKeys();
        java.util.function.IntConsumer store = r -> {
            int slot = batch.tables()[r].slot(batch.positions()[r]);
            if (columns) pool.writeKeyColumns(layer, slot, kx, r * kDim);
            else pool.writeKey(layer, slot, kx, r * kDim);
            pool.writeValue(layer, slot, vx, r * vDim);
        };
        if (rows >= PARALLEL_STORE_ROWS) ctx.pool().parallelFor(rows, store::accept);
        else for (int r = 0; r < rows; r++) store.accept(r);
        attendAll(ctx, k, pool, layer, batch, q, rows, att);
        project(ctx, k, att, rows, out);
    }

    /** Attention of every batch row over the rows {@code kvLayer} cached, into {@code att}. */
    private void attendAll(ForwardContext ctx, Kernels k, KvBlockPool pool, int kvLayer, ForwardBatch batch, float[] q, int rows, float[] att) {
        // One task per (row, KV head): the group's query heads share one pass over the keys and
        // values, block by block, so each cached row is read once per group, not once per head.
        // Prompt rows of one sequence form tiles that widen each cache block once for all their rows
        // (every cache type: Q8_0's row-major keys are transposed as they are widened).
        int[] tiles = CachedAttention.tiles(batch, rows, TILE_ROWS);
        int nt = tiles.length - 1;
        ctx.pool().parallelFor(nt * kvHeads, task -> attendTile(k, pool, kvLayer, batch, q, tiles[task / kvHeads], tiles[task / kvHeads + 1], task % kvHeads, att));
    }

    /** The output projection, plus its bias when there is one (gpt-oss). */
    private void project(ForwardContext ctx, Kernels k, float[] att, int rows, float[] out) {
        k.matmul(ctx.pool(), wo, att, rows, out);
        if (bo != null) for (int r = 0; r < rows; r++) k.add(out, r * bo.length, bo, 0, bo.length);
    }

    /** The first position a query at position n - 1 sees. */
    private int firstVisible(int n) {
        return window > 0 ? Math.max(0, n - window) : 0;
    }

    /** Fewer rows than this store their keys and values on the calling thread. */
    private static final int PARALLEL_STORE_ROWS = 64;

    /** Cache blocks a decode row scores at a time ({@link Kernels#scoresBlockRun}). */
    private static final int DECODE_RUN = 4;

    /** Rows per attention tile: bounds the scores scratch while sharing each widened block. */
    private static final int TILE_ROWS = 16;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][]{new float[1024], new float[1024], new float[1024]});

    private static float[] scratch(int i, int size) {
        float[][] s = SCRATCH.get();
        if (s[i].length < size) s[i] = new float[Math.max(size, 2 * s[i].length)];
        return s[i];
    }

    /**
     * Rows [r0, r1) of one sequence, KV head kvh: each block's keys (dimension-major, see
     * KvBlockPool.readKeyColumns) and values are widened to floats once for the tile, then every
     * row scores a vector of keys at a time and sums values in registers, several queries per
     * key or value load (Kernels.scoresBlocks, Kernels.accumulateRowsMany: the tile's rows for a
     * prompt, the group's heads for a decode row). A row's scores and outputs are computed in the
     * same order whatever tile or batch it is in, so results are batch-invariant.
     */
    private void attendTile(Kernels k, KvBlockPool pool, int layer, ForwardBatch batch, float[] q, int r0, int r1, int kvh, float[] att) {
        int group = heads / kvHeads;
        int qDim = heads * headDim;
        int bs = pool.blockSize();
        BlockTable table = batch.tables()[r0];
        int nMax = batch.positions()[r1 - 1] + 1;
        int padded = (nMax + bs - 1) / bs * bs; // whole blocks of scores; the tail past a row's n is ignored
        int per = group * padded;
        float[] scores = scratch(0, (r1 - r0) * per);
        float[] keyBlock = scratch(1, DECODE_RUN * headDim * bs);
        float[] valueRows = scratch(2, valueDim * bs);
        if (r1 - r0 == 1) { // one row (decode): its group's heads against runs of blocks, sharing the key loads
            for (int t0 = 0; t0 < nMax; t0 += DECODE_RUN * bs) {
                int blocks = Math.min(DECODE_RUN, (nMax - t0 + bs - 1) / bs);
                for (int j = 0; j < blocks; j++) pool.readKeyColumns(layer, table.slot(t0 + j * bs), kvh * headDim, headDim, keyBlock, j * headDim * bs);
                k.scoresBlockRun(q, r0 * qDim + kvh * group * headDim, headDim, group, keyBlock, 0, blocks, headDim, bs, scores, t0, padded);
            }
        } else {
            for (int t0 = 0; t0 < nMax; t0 += bs) {
                pool.readKeyColumns(layer, table.slot(t0), kvh * headDim, headDim, keyBlock);
                int rs = Math.max(r0, r0 + t0 - batch.positions()[r0]); // the first row that sees this block
                if (r1 - rs == 1) { // one row sees this block: its group's heads share the key loads
                    k.scoresBlocks(q, rs * qDim + kvh * group * headDim, headDim, group, keyBlock, 0, headDim, bs, scores, (rs - r0) * per + t0, padded);
                } else { // a prompt's rows share them, head by head
                    for (int g = 0; g < group; g++) {
                        k.scoresBlocks(q, rs * qDim + (kvh * group + g) * headDim, qDim, r1 - rs, keyBlock, 0, headDim, bs,
                                scores, (rs - r0) * per + g * padded + t0, per);
                    }
                }
            }
        }
        for (int r = r0; r < r1; r++) {
            int n = batch.positions()[r] + 1;
            for (int g = 0; g < group; g++) {
                int o = (r - r0) * per + g * padded;
                int lo = firstVisible(n);
                for (int t = lo; t < n; t++) scores[o + t] *= scale;
                if (softcap > 0) SoftCap.apply(scores, o + lo, n - lo, softcap);
                k.softmax(scores, o + lo, n - lo, sinks != null ? sinks[kvh * group + g] : Float.NEGATIVE_INFINITY);
                // Keys left of the window weigh exactly 0, so summing them adds nothing.
                java.util.Arrays.fill(scores, o, o + lo, 0f);
            }
        }
        for (int t0 = 0; t0 < nMax; t0 += bs) {
            int cnt = Math.min(bs, nMax - t0);
            pool.readValues(layer, table.slot(t0), cnt, kvh * valueDim, valueDim, valueRows, 0);
            int r = Math.max(r0, r0 + t0 - batch.positions()[r0]);
            for (; r < r1 && batch.positions()[r] + 1 - t0 < bs; r++) { // rows that see part of the block: a group at a time
                k.accumulateRowsMany(scores, (r - r0) * per + t0, padded, group, valueRows, 0, valueDim, batch.positions()[r] + 1 - t0,
                        att, (r * heads + kvh * group) * valueDim, valueDim, valueDim);
            }
            if (r1 - r == 1) {
                k.accumulateRowsMany(scores, (r - r0) * per + t0, padded, group, valueRows, 0, valueDim, bs,
                        att, (r * heads + kvh * group) * valueDim, valueDim, valueDim);
            } else if (r < r1) { // rows that see all of it, head by head
                for (int g = 0; g < group; g++) {
                    k.accumulateRowsMany(scores, (r - r0) * per + g * padded + t0, per, r1 - r, valueRows, 0, valueDim, bs,
                            att, (r * heads + kvh * group + g) * valueDim, heads * valueDim, valueDim);
                }
            }
        }
    }
}
