package dev.ember.engine.model.v4;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.model.Attention;
import dev.ember.engine.model.ForwardBatch;
import dev.ember.engine.model.ForwardContext;
import dev.ember.engine.model.RmsNorm;
import dev.ember.engine.model.Rope;
import dev.ember.engine.tensor.WeightMatrix;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * DeepSeek-V4 attention: one KV head whose key is also its value (MQA with K = V), low-rank
 * per-head RMS-normalized queries, RoPE on the trailing dims, a learned sink logit per head,
 * inverse RoPE on the outputs and a grouped low-rank output projection. Every layer attends a
 * sliding window of raw KV; HCA layers add every visible compressed entry, CSA layers the
 * entries their lightning indexer picks.
 *
 * <p>State per sequence and layer ({@link LayerState}) lives beside the KV blocks: the window
 * ring, the compressors' open windows and the compressed entries (§5 of the spec).
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
    private final int keyBlock = dev.ember.engine.kernels.Kernels.get().keyBlock();

    V4Attention(Kind kind, WeightMatrix wqA, RmsNorm qNorm, WeightMatrix wqB, WeightMatrix wkv, RmsNorm kvNorm,
                WeightMatrix[] woA, WeightMatrix woB, float[] sinks, Compressor compressor, Indexer indexer, Rope rope,
                int layers, int heads, int headDim, int window, float eps) {
        this.kind = kind;
        this.wqA = wqA; this.qNorm = qNorm; this.wqB = wqB; this.wkv = wkv; this.kvNorm = kvNorm;
        this.woA = woA; this.woB = woB; this.sinks = sinks;
        this.compressor = compressor; this.indexer = indexer; this.rope = rope;
        this.layers = layers; this.heads = heads; this.headDim = headDim; this.window = window; this.eps = eps;
    }

    Kind kind() { return kind; }
    Compressor compressor() { return compressor; }
    Indexer indexer() { return indexer; }
    int headDim() { return headDim; }
    int window() { return window; }

    @Override public int keyWidth() { return 0; }
    @Override public int valueWidth() { return 0; }

    /** One sequence's state for one layer. */
    static final class LayerState {
        final float[] ring;         // the last `window` kv vectors, position p at slot p % window
        final Compressor.State main;
        final Compressor.State index;

        LayerState(V4Attention a) {
            ring = new float[a.window * a.headDim];
            main = a.compressor == null ? null : a.compressor.newState();
            index = a.indexer == null ? null : a.indexer.compressor().newState(a.keyBlock);
        }
    }

    /** All layers' state of one sequence, plus block snapshots recorded for the prefix cache. */
    static final class SequenceState {
        final LayerState[] layers;
        final Map<Integer, LayerSnapshot[]> snapshots = new java.util.HashMap<>();

        SequenceState(int n) {
            layers = new LayerState[n];
        }

        LayerSnapshot[] snapshotsOf(int block) {
            return snapshots.computeIfAbsent(block, b -> new LayerSnapshot[layers.length]);
        }
    }

    /**
     * What one layer needs to resume after a block boundary: the window ring, the compressed
     * entries (and indexer keys) made inside the block, and the overlap halves of the last window.
     * At a boundary no compressor window is open, since the block size is a multiple of the ratios.
     */
    record LayerSnapshot(float[] ring, float[] entries, float[] indexEntries, float[][] mainPrevious, float[][] indexPrevious) {
        long bytes() {
            long n = ring.length + (entries == null ? 0 : entries.length) + (indexEntries == null ? 0 : indexEntries.length);
            if (mainPrevious != null) n += mainPrevious[0].length * 2L;
            if (indexPrevious != null) n += indexPrevious[0].length * 2L;
            return n * 4;
        }
    }

    /** Benchmark state: a full window and the entries {@code length} tokens would have made, all random. */
    void fillSynthetic(BlockTable table, int layer, int length, java.util.SplittableRandom rnd) {
        LayerState st = state(table, layer);
        for (int i = 0; i < st.ring.length; i++) st.ring[i] = (float) rnd.nextGaussian();
        if (st.main != null) fillEntries(st.main, length / compressor.ratio(), rnd);
        if (st.index != null) fillEntries(st.index, length / indexer.compressor().ratio(), rnd);
    }

    private static void fillEntries(Compressor.State st, int count, java.util.SplittableRandom rnd) {
        float[] e = new float[st.entries.width()];
        for (int n = 0; n < count; n++) {
            for (int i = 0; i < e.length; i++) e[i] = (float) rnd.nextGaussian();
            st.entries.add(e);
        }
        st.hasPrevious = count > 0;
    }

    /** Rebuilds this layer's state from the snapshots of a sequence's first blocks. */
    void restore(BlockTable table, int layer, List<LayerSnapshot> blocks) {
        LayerState st = state(table, layer);
        LayerSnapshot last = blocks.getLast();
        System.arraycopy(last.ring(), 0, st.ring, 0, st.ring.length);
        for (LayerSnapshot b : blocks) {
            if (st.main != null) addAll(st.main.entries, b.entries());
            if (st.index != null) addAll(st.index.entries, b.indexEntries());
        }
        if (st.main != null && last.mainPrevious() != null) restorePrevious(st.main, last.mainPrevious());
        if (st.index != null && last.indexPrevious() != null) restorePrevious(st.index, last.indexPrevious());
    }

    private static void addAll(EntryList list, float[] entries) {
        float[] one = new float[list.width()];
        for (int i = 0; i < entries.length; i += one.length) {
            System.arraycopy(entries, i, one, 0, one.length);
            list.add(one);
        }
    }

    private static void restorePrevious(Compressor.State st, float[][] previous) {
        System.arraycopy(previous[0], 0, st.prevValues, 0, st.prevValues.length);
        System.arraycopy(previous[1], 0, st.prevGates, 0, st.prevGates.length);
        st.hasPrevious = true;
    }

    /** The entries of {@code list} made inside block {@code block} of {@code blockSize} tokens. */
    private static float[] entriesOfBlock(EntryList list, int block, int blockSize, int ratio) {
        int per = blockSize / ratio;
        return java.util.Arrays.copyOfRange(list.data(), list.offset(block * per), list.offset((block + 1) * per));
    }

    private static float[][] previousOf(Compressor.State st) {
        return st.hasPrevious ? new float[][]{st.prevValues.clone(), st.prevGates.clone()} : null;
    }

    private LayerState state(BlockTable table, int layer) {
        SequenceState s = table.modelState(() -> new SequenceState(layers));
        if (s.layers[layer] == null) s.layers[layer] = new LayerState(this);
        return s.layers[layer];
    }

    @Override
    public void forward(ForwardContext ctx, int layer, float[] in, float[] out) {
        Kernels k = ctx.kernels();
        ForwardBatch batch = ctx.batch();
        int rows = ctx.rows();
        int d = headDim, rd = rope.rotDims(), qDim = heads * d;
        float[] cq = new float[rows * wqA.rows()];
        k.matmul(ctx.pool(), wqA, in, rows, cq);
        qNorm.apply(k, cq, 0, cq, 0, rows);
        float[] q = new float[rows * qDim];
        k.matmul(ctx.pool(), wqB, cq, rows, q);
        float[] kv = new float[rows * d];
        float[] angles = rope.table(batch.positions(), rows); // cos/sin per row, shared by q, kv, the output and the indexer
        k.matmul(ctx.pool(), wkv, in, rows, kv);
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < heads; h++) unweightedRmsNorm(q, r * qDim + h * d, d, eps);
            rope.apply(q, r * qDim + d - rd, heads, d, angles, r);
            kvNorm.apply(k, kv, r * d, kv, r * d, 1);
            rope.apply(kv, r * d + d - rd, 1, d, angles, r);
        }
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
        ctx.pool().parallelFor(rows * heads, task -> {
            int r = task / heads, h = task % heads;
            int pos = batch.positions()[r];
            BlockTable table = batch.tables()[r];
            LayerState st = state(table, layer);
            int[] start = starts.get(table);
            int first = Math.max(0, pos - window + 1);
            int nWindow = pos - first + 1;
            int nCompressed = kind == Kind.HCA ? Math.min(st.main.entries.count(), (pos + 1) / compressor.ratio())
                    : kind == Kind.CSA ? chosenCount[r] : 0;
            float[] scores = new float[nWindow + nCompressed];
            int qo = r * qDim + h * d;
            float max = sinks[h];
            for (int i = 0; i < nWindow; i++) {
                int p = first + i;
                scores[i] = p >= start[1] ? k.dot(q, qo, kv, (start[0] + p - start[1]) * d, d) * scale
                        : k.dot(q, qo, st.ring, (p % window) * d, d) * scale;
                max = Math.max(max, scores[i]);
            }
            float[] entries = compressor == null ? null : st.main.entries.data();
            for (int i = 0; i < nCompressed; i++) {
                int e = kind == Kind.HCA ? i : chosen[r][i];
                scores[nWindow + i] = k.dot(q, qo, entries, e * d, d) * scale;
                max = Math.max(max, scores[nWindow + i]);
            }
            float sum = (float) Math.exp(sinks[h] - max); // the sink takes probability mass but has no value
            for (int i = 0; i < scores.length; i++) {
                scores[i] = (float) Math.exp(scores[i] - max);
                sum += scores[i];
            }
            int oo = r * qDim + h * d;
            for (int i = 0; i < nWindow; i++) {
                int p = first + i;
                float w = scores[i] / sum;
                if (p >= start[1]) k.axpy(w, kv, (start[0] + p - start[1]) * d, att, oo, d);
                else k.axpy(w, st.ring, (p % window) * d, att, oo, d);
            }
            for (int i = 0; i < nCompressed; i++) {
                int e = kind == Kind.HCA ? i : chosen[r][i];
                k.axpy(scores[nWindow + i] / sum, entries, e * d, att, oo, d);
            }
        });
        // The window moves on only now: rows of this batch read older positions from the ring above.
        for (int r = 0; r < rows; r++) {
            BlockTable table = batch.tables()[r];
            LayerState st = state(table, layer);
            int pos = batch.positions()[r];
            System.arraycopy(kv, r * d, st.ring, (pos % window) * d, d);
            int bs = table.pool().blockSize();
            if (table.snapshotsWanted() && (pos + 1) % bs == 0) recordSnapshot(table, layer, st, (pos + 1) / bs - 1, bs);
        }
        for (int r = 0; r < rows; r++) rope.applyInverse(att, r * qDim + d - rd, heads, d, angles, r);
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

    /**
     * Records this layer's share of the snapshot of block {@code block}. The overlap halves were
     * captured when the block's last window closed (see {@link #compress}); the ring is complete now.
     */
    private void recordSnapshot(BlockTable table, int layer, LayerState st, int block, int bs) {
        SequenceState seq = table.modelState(() -> new SequenceState(layers));
        LayerSnapshot[] snaps = seq.snapshotsOf(block);
        LayerSnapshot partial = snaps[layer];
        snaps[layer] = new LayerSnapshot(st.ring.clone(),
                st.main == null ? null : entriesOfBlock(st.main.entries, block, bs, compressor.ratio()),
                st.index == null ? null : entriesOfBlock(st.index.entries, block, bs, indexer.compressor().ratio()),
                partial == null ? null : partial.mainPrevious(), partial == null ? null : partial.indexPrevious());
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
        for (int r = 0; r < rows; r++) {
            LayerState st = state(batch.tables()[r], layer);
            int pos = batch.positions()[r];
            compressor.append(k, st.main, a, r * cw, z, r * cw, pos);
            if (ic != null) ic.append(k, st.index, ia, r * ic.projected(), iz, r * ic.projected(), pos);
            BlockTable table = batch.tables()[r];
            int bs = table.pool().blockSize();
            if (table.snapshotsWanted() && (pos + 1) % bs == 0 && compressor.overlap()) {
                // Later rows of this batch will overwrite the overlap halves: keep this boundary's now.
                SequenceState seq = table.modelState(() -> new SequenceState(layers));
                seq.snapshotsOf((pos + 1) / bs - 1)[layer] = new LayerSnapshot(null, null, null, previousOf(st.main),
                        st.index == null ? null : previousOf(st.index));
            }
        }
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
            LayerState st = state(batch.tables()[r], layer);
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
