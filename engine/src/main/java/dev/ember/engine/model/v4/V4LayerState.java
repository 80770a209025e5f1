package dev.ember.engine.model.v4;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kv.BlockSnapshot;
import dev.ember.engine.kv.SequenceState;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One sequence's state for one DeepSeek-V4 layer (spec §5): the sliding-window ring of raw KV
 * and, on compressed layers, the compressors' open windows, overlap halves and entries (plus the
 * indexer's keys on CSA layers). Block snapshots are recorded here while a block is computed and
 * taken by the cache manager when the block is published.
 */
final class V4LayerState implements SequenceState {
    final float[] ring;         // the last `window` kv vectors, position p at slot p % window
    final Compressor.State main;
    final Compressor.State index;
    private final V4Attention attention;
    /** Snapshots recorded for blocks not yet published, by block index. */
    final Map<Integer, Snapshot> pending = new HashMap<>();

    V4LayerState(V4Attention a) {
        attention = a;
        ring = new float[a.window() * a.headDim()];
        main = a.compressor() == null ? null : a.compressor().newState();
        index = a.indexer() == null ? null : a.indexer().compressor().newState(Kernels.KEY_BLOCK);
    }

    private V4LayerState(V4LayerState o) {
        attention = o.attention;
        ring = o.ring.clone();
        main = o.main == null ? null : o.main.copy();
        index = o.index == null ? null : o.index.copy();
        pending.putAll(o.pending); // snapshots are immutable: the copy may share them
    }

    @Override
    public SequenceState copy() {
        return new V4LayerState(this);
    }

    /**
     * What one layer needs to resume after a block boundary: the window ring, the compressed
     * entries (and indexer keys) made inside the block, and the overlap halves of the last window.
     * At a boundary no compressor window is open, since the block size is a multiple of the ratios.
     */
    record Snapshot(float[] ring, float[] entries, float[] indexEntries, float[][] mainPrevious, float[][] indexPrevious) implements BlockSnapshot {
        @Override
        public long bytes() {
            long n = ring.length + (entries == null ? 0 : entries.length) + (indexEntries == null ? 0 : indexEntries.length);
            if (mainPrevious != null) n += mainPrevious[0].length * 2L;
            if (indexPrevious != null) n += indexPrevious[0].length * 2L;
            return n * 4;
        }
    }

    @Override
    public BlockSnapshot takeSnapshot(int block) {
        Snapshot s = pending.remove(block);
        if (s == null || s.ring() == null) throw new IllegalStateException("no complete snapshot recorded for block " + block);
        return s;
    }

    @Override
    public void restore(List<BlockSnapshot> blocks) {
        Snapshot last = (Snapshot) blocks.getLast();
        System.arraycopy(last.ring(), 0, ring, 0, ring.length);
        for (BlockSnapshot b : blocks) {
            Snapshot s = (Snapshot) b;
            if (main != null) addAll(main.entries, s.entries());
            if (index != null) addAll(index.entries, s.indexEntries());
        }
        if (main != null && last.mainPrevious() != null) restorePrevious(main, last.mainPrevious());
        if (index != null && last.indexPrevious() != null) restorePrevious(index, last.indexPrevious());
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

    /** Records the ring and the block's entries once its last position is computed (the overlap halves came earlier, see {@link #recordPrevious}). */
    void recordBlockEnd(int block, int blockSize) {
        Snapshot partial = pending.get(block);
        pending.put(block, new Snapshot(ring.clone(),
                main == null ? null : entriesOfBlock(main.entries, block, blockSize, attention.compressor().ratio()),
                index == null ? null : entriesOfBlock(index.entries, block, blockSize, attention.indexer().compressor().ratio()),
                partial == null ? null : partial.mainPrevious(), partial == null ? null : partial.indexPrevious()));
    }

    /** Keeps the overlap halves as they are at a block boundary (later rows of the batch overwrite them). */
    void recordPrevious(int block) {
        pending.put(block, new Snapshot(null, null, null, previousOf(main), index == null ? null : previousOf(index)));
    }

    private static float[] entriesOfBlock(EntryList list, int block, int blockSize, int ratio) {
        int per = blockSize / ratio;
        return java.util.Arrays.copyOfRange(list.data(), list.offset(block * per), list.offset((block + 1) * per));
    }

    private static float[][] previousOf(Compressor.State st) {
        return st.hasPrevious ? new float[][]{st.prevValues.clone(), st.prevGates.clone()} : null;
    }

    @Override
    public long[] bytes() {
        long fixed = ring.length * 4L, growing = 0;
        for (Compressor.State c : new Compressor.State[]{main, index}) {
            if (c == null) continue;
            fixed += c.fixedFloats() * 4;
            growing += (long) c.entries.count() * c.entries.width() * 4;
        }
        return new long[]{fixed, growing};
    }

    /** A full window and the entries {@code length} tokens would have made, all random. */
    @Override
    public void fillSynthetic(int length, SplittableRandom rnd) {
        for (int i = 0; i < ring.length; i++) ring[i] = (float) rnd.nextGaussian();
        if (main != null) fillEntries(main, length / attention.compressor().ratio(), rnd);
        if (index != null) fillEntries(index, length / attention.indexer().compressor().ratio(), rnd);
    }

    private static void fillEntries(Compressor.State st, int count, SplittableRandom rnd) {
        float[] e = new float[st.entries.width()];
        for (int n = 0; n < count; n++) {
            for (int i = 0; i < e.length; i++) e[i] = (float) rnd.nextGaussian();
            st.entries.add(e);
        }
        st.hasPrevious = count > 0;
    }
}
