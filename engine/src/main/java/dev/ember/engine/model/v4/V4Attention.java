package dev.ember.engine.model.v4;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.kv.LayerCacheSpec;
import dev.ember.engine.kv.SequenceStateSpec;
import dev.ember.engine.model.Attention;
import dev.ember.engine.model.CachedAttention;
import dev.ember.engine.model.ForwardBatch;
import dev.ember.engine.model.ForwardContext;
import dev.ember.engine.model.RmsNorm;
import dev.ember.engine.model.Rope;
import dev.ember.engine.tensor.WeightMatrix;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * DeepSeek-V4 attention: one KV head whose key is also its value (MQA with K = V), low-rank
 * per-head RMS-normalized queries, RoPE on the trailing dims, a learned sink logit per head,
 * inverse RoPE on the outputs and a grouped low-rank output projection. Every layer attends a
 * sliding window of raw KV; HCA layers add every visible compressed entry, CSA layers the
 * entries their lightning indexer picks.
 *
 * <p>State per sequence and layer ({@link V4LayerState}) lives beside the KV blocks: the window
 * ring, the compressors' open windows and the compressed entries (§5 of the spec), declared as a
 * {@link SlidingWindowSpec} or a {@link CompressedEntriesSpec}.
 */
final class V4Attention implements Attention {
    enum Kind { SLIDING, CSA, HCA }

    private final Kind kind;
    private final WeightMatrix wqA, wqB, wkv, woB;
    private final WeightMatrix[] woA;
    private final RmsNorm qNorm, kvNorm;
    private final float[] sinks;
    private final Compressor compressor;
    private final Indexer indexer;
    private final Rope rope;
    private final int layers, heads, headDim, window;
    private final float eps;
    private final SequenceStateSpec<V4LayerState> spec;

    V4Attention(Kind kind, WeightMatrix wqA, RmsNorm qNorm, WeightMatrix wqB, WeightMatrix wkv, RmsNorm kvNorm,
                WeightMatrix[] woA, WeightMatrix woB, float[] sinks, Compressor compressor, Indexer indexer, Rope rope,
                int layers, int heads, int headDim, int window, float eps) {
        this.kind = kind;
        this.wqA = wqA; this.qNorm = qNorm; this.wqB = wqB; this.wkv = wkv; this.kvNorm = kvNorm;
        this.woA = woA; this.woB = woB; this.sinks = sinks;
        this.compressor = compressor; this.indexer = indexer; this.rope = rope;
        this.layers = layers; this.heads = heads; this.headDim = headDim; this.window = window; this.eps = eps;
        this.spec = compressor == null ? new SlidingWindowSpec(this) : new CompressedEntriesSpec(this);
    }

    Kind kind() { return kind; }
    Compressor compressor() { return compressor; }
    Indexer indexer() { return indexer; }
    int headDim() { return headDim; }
    int window() { return window; }

    @Override public LayerCacheSpec cacheSpec() { return spec; }

    SequenceStateSpec<V4LayerState> stateSpec() { return spec; }

    private V4LayerState state(BlockTable table, int layer) {
        return table.state(layer, spec);
    }

    @Override
    public void forward(ForwardContext ctx, int layer, float[] in, float[] out) {
        Kernels k = ctx.kernels();
        ForwardBatch batch = ctx.batch();
        int rows = ctx.rows();
        int d = headDim, rd = rope.rotDims(), qDim = heads * d;
        float[] cq = new float[rows * wqA.rows()];
        k.matmul(ctx.pool(), wqA, in, rows, cq);
        qNorm.apply(k, ctx.pool(), cq, 0, cq, 0, rows);
        float[] q = new float[rows * qDim];
        k.matmul(ctx.pool(), wqB, cq, rows, q);
        float[] kv = new float[rows * d];
        float[] angles = rope.table(batch.positions(), rows); // cos/sin per row, shared by q, kv, the output and the indexer
        k.matmul(ctx.pool(), wkv, in, rows, kv);
        ctx.pool().parallelFor(rows, r -> {
            for (int h = 0; h < heads; h++) unweightedRmsNorm(q, r * qDim + h * d, d, eps);
            rope.apply(q, r * qDim + d - rd, heads, d, angles, r);
            kvNorm.apply(k, kv, r * d, kv, r * d, 1);
            rope.apply(kv, r * d + d - rd, 1, d, angles, r);
        });
        // Where each sequence's rows start: window keys inside this batch come from `kv`, older ones from the ring.
        Map<BlockTable, int[]> starts = new IdentityHashMap<>();
        for (int r = 0; r < rows; r++) {
            starts.putIfAbsent(batch.tables()[r], new int[]{r, batch.positions()[r]});
            state(batch.tables()[r], layer); // created here, single-threaded, before the parallel section reads it
        }

        int[][] chosen = new int[rows][];
        int[] chosenCount = new int[rows];
        if (compressor != null) compress(ctx, layer, in, cq, angles, chosen, chosenCount);

        float[] att = new float[rows * qDim];
        float scale = (float) (1.0 / Math.sqrt(d));
        // A task is a row and a range of its heads: all of them when the rows alone keep the threads
        // busy (each key row is then read once for every head), one head each otherwise. A head's
        // arithmetic is the same either way.
        int headsPerTask = rows >= 2 * ctx.pool().threads() ? heads : 1;
        int tasksPerRow = heads / headsPerTask;
        ctx.pool().parallelFor(rows * tasksPerRow, task -> {
            int r = task / tasksPerRow, h = (task % tasksPerRow) * headsPerTask;
            int pos = batch.positions()[r];
            BlockTable table = batch.tables()[r];
            V4LayerState st = state(table, layer);
            int[] start = starts.get(table);
            int first = Math.max(0, pos - window + 1);
            int nWindow = pos - first + 1;
            int nCompressed = kind == Kind.HCA ? Math.min(st.main.entries.count(), (pos + 1) / compressor.ratio())
                    : kind == Kind.CSA ? chosenCount[r] : 0;
            float[] entries = compressor == null ? null : st.main.entries.data();
            int[] picked = chosen[r];
            // Rows: the window (this batch's rows from `kv`, older ones from the ring), then the compressed entries.
            CachedAttention.Rows visible = new CachedAttention.Rows() {
                @Override public int count() { return nWindow + nCompressed; }

                /** Rows stored one after another: batch rows, a stretch of the ring before it wraps, HCA's entries. */
                @Override
                public int run(int t, int max) {
                    int n;
                    if (t < nWindow) {
                        int p = first + t;
                        n = p >= start[1] ? nWindow - t : Math.min(Math.min(window - p % window, start[1] - p), nWindow - t);
                    } else {
                        n = kind == Kind.HCA ? nWindow + nCompressed - t : 1;
                    }
                    return Math.max(1, Math.min(max, n));
                }

                @Override
                public void read(int t, int n, int from, int width, float[] dst) {
                    float[] src;
                    int row;
                    if (t < nWindow) {
                        int p = first + t;
                        if (p >= start[1]) { src = kv; row = start[0] + p - start[1]; }
                        else { src = st.ring; row = p % window; }
                    } else {
                        src = entries;
                        row = kind == Kind.HCA ? t - nWindow : picked[t - nWindow];
                    }
                    for (int i = 0; i < n; i++) System.arraycopy(src, (row + i) * d + from, dst, i * width, width);
                }
            };
            int qo = r * qDim + h * d;
            CachedAttention.Heads head = new CachedAttention.Heads() {
                @Override public int count() { return headsPerTask; }
                @Override public float score(Kernels kk, int g, float[] key, int off) { return kk.dot(q, qo + g * d, key, off, d) * scale; }
                @Override public int outOffset(int g) { return qo + g * d; }
            };
            // MQA with K = V: the same rows are keys and values; the sink takes mass but has no value.
            CachedAttention.attend(k, visible, 0, d, visible, 0, d, head, sinks, h, att);
        });
        // The window moves on only now: rows of this batch read older positions from the ring above.
        for (int r = 0; r < rows; r++) {
            BlockTable table = batch.tables()[r];
            V4LayerState st = state(table, layer);
            int pos = batch.positions()[r];
            System.arraycopy(kv, r * d, st.ring, (pos % window) * d, d);
            int bs = table.pool().blockSize();
            if (table.snapshotsWanted() && (pos + 1) % bs == 0) st.recordBlockEnd((pos + 1) / bs - 1, bs);
        }
        ctx.pool().parallelFor(rows, r -> rope.applyInverse(att, r * qDim + d - rd, heads, d, angles, r));
        // Grouped low-rank output: each group of heads → its own low-rank slice, then one mix to the hidden size.
        int groups = woA.length, groupIn = qDim / groups, rank = woA[0].rows();
        float[] groupX = new float[rows * groupIn];
        float[] groupY = new float[rows * rank];
        float[] low = new float[rows * groups * rank];
        for (int g = 0; g < groups; g++) {
            for (int r = 0; r < rows; r++) System.arraycopy(att, r * qDim + g * groupIn, groupX, r * groupIn, groupIn);
            k.matmul(ctx.pool(), woA[g], groupX, rows, groupY);
            for (int r = 0; r < rows; r++) System.arraycopy(groupY, r * rank, low, r * groups * rank + g * rank, rank);
        }
        k.matmul(ctx.pool(), woB, low, rows, out);
    }

    /** Runs the compressors over the batch rows in order, then (CSA) lets the indexer pick each row's entries. */
    private void compress(ForwardContext ctx, int layer, float[] in, float[] cq, float[] angles, int[][] chosen, int[] chosenCount) {
        Kernels k = ctx.kernels();
        ForwardBatch batch = ctx.batch();
        int rows = ctx.rows();
        int cw = compressor.projected();
        float[] a = new float[rows * cw], z = new float[rows * cw];
        k.matmul(ctx.pool(), compressor.kv(), in, rows, a);
        k.matmul(ctx.pool(), compressor.gate(), in, rows, z);
        float[] ia = null, iz = null;
        Compressor ic = indexer == null ? null : indexer.compressor();
        if (ic != null) {
            ia = new float[rows * ic.projected()];
            iz = new float[rows * ic.projected()];
            k.matmul(ctx.pool(), ic.kv(), in, rows, ia);
            k.matmul(ctx.pool(), ic.gate(), in, rows, iz);
        }
        // A sequence's rows feed its compressors in order; different sequences are independent,
        // so each sequence's rows run as one task (the states are looked up first, on this thread).
        V4LayerState[] states = new V4LayerState[rows];
        int[] firstOfSequence = new int[rows + 1];
        int sequences = 0;
        for (int r = 0; r < rows; r++) {
            states[r] = state(batch.tables()[r], layer);
            if (r == 0 || batch.tables()[r] != batch.tables()[r - 1]) firstOfSequence[sequences++] = r;
        }
        firstOfSequence[sequences] = rows;
        java.util.Set<BlockTable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (int q = 0; q < sequences; q++) {
            if (!seen.add(batch.tables()[firstOfSequence[q]])) { // a sequence's rows not contiguous: keep batch order
                firstOfSequence[1] = rows;
                sequences = 1;
                break;
            }
        }
        float[] fia = ia, fiz = iz;
        ctx.pool().parallelFor(sequences, q -> {
            for (int r = firstOfSequence[q]; r < firstOfSequence[q + 1]; r++) {
                V4LayerState st = states[r];
                int pos = batch.positions()[r];
                compressor.append(k, st.main, a, r * cw, z, r * cw, pos);
                if (ic != null) ic.append(k, st.index, fia, r * ic.projected(), fiz, r * ic.projected(), pos);
                BlockTable table = batch.tables()[r];
                int bs = table.pool().blockSize();
                if (table.snapshotsWanted() && (pos + 1) % bs == 0 && compressor.overlap()) {
                    // Later rows of this batch will overwrite the overlap halves: keep this boundary's now.
                    st.recordPrevious((pos + 1) / bs - 1);
                }
            }
        });
        if (indexer == null) return;
        int ih = indexer.heads(), id = indexer.headDim();
        float[] iq = new float[rows * ih * id];
        k.matmul(ctx.pool(), indexer.queryUp(), cq, rows, iq);
        float[] iw = new float[rows * ih];
        k.matmul(ctx.pool(), indexer.headWeights(), in, rows, iw);
        int ird = indexer.rope().rotDims();
        float[] itable = indexer.rope() == rope ? angles : indexer.rope().table(batch.positions(), rows);
        for (int r = 0; r < rows; r++) indexer.rope().apply(iq, r * ih * id + id - ird, ih, id, itable, r);
        // Score each row's visible entries as one matrix product: the entries are the rows of the
        // input and the row's indexer queries the weights, so the tiled GEMM reads every key once
        // for all heads (a dot call per key and head would pay a reduction each time).
        float[][] scores = new float[rows][];
        int[] visible = new int[rows];
        for (int r = 0; r < rows; r++) {
            V4LayerState st = state(batch.tables()[r], layer);
            visible[r] = indexer.visible(st.index.entries, batch.positions()[r]);
            scores[r] = new float[visible[r]];
            if (visible[r] > indexer.topK()) {
                indexer.score(k, ctx.pool(), iq, r * ih * id, iw, r * ih, st.index.entries, visible[r], scores[r]);
            }
        }
        for (int r = 0; r < rows; r++) {
            int[] sel = new int[indexer.topK()];
            chosenCount[r] = indexer.select(scores[r], visible[r], sel);
            chosen[r] = sel;
        }
    }

    static void unweightedRmsNorm(float[] x, int off, int n, float eps) {
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (double) x[off + i] * x[off + i];
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) x[off + i] *= inv;
    }
}
