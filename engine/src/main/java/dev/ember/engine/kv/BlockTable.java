package dev.ember.engine.kv;

import java.util.Arrays;

/**
 * One sequence's view of the cache: the pool blocks holding its positions, in order, and the
 * per-layer {@link SequenceState} of layers that keep state beside the blocks. Position {@code p}
 * lives in slot {@code blocks[p / blockSize] * blockSize + p % blockSize}.
 */
public final class BlockTable {
    private final KvBlockPool pool;
    private int[] blocks = new int[8];
    private int blockCount;
    private int length;
    private SequenceState[] states = new SequenceState[0];
    private boolean snapshotsWanted;
    /** Deepest prefix-cache node holding this table's blocks, and how many of its blocks are published there (the cache manager's). */
    RadixPrefixCache.Node prefixNode;
    int publishedBlocks;

    public BlockTable(KvBlockPool pool) {
        this.pool = pool;
    }

    public KvBlockPool pool() { return pool; }

    /** Positions whose KV state is stored (or is being written in the current step). */
    public int length() { return length; }

    public int slot(int position) {
        int bs = pool.blockSize();
        return blocks[position / bs] * bs + position % bs;
    }

    /** Makes room for positions up to {@code newLength - 1}; false (and nothing changed) when the pool lacks blocks. */
    public boolean ensureCapacity(int newLength) {
        int missing = blocksMissing(newLength);
        if (missing <= 0) return true;
        if (missing > pool.freeBlocks()) return false;
        int needBlocks = blockCount + missing;
        if (needBlocks > blocks.length) blocks = Arrays.copyOf(blocks, Math.max(needBlocks, blocks.length * 2));
        for (int i = 0; i < missing; i++) blocks[blockCount++] = pool.allocate();
        return true;
    }

    /** Blocks still to allocate before positions below {@code newLength} fit. */
    public int blocksMissing(int newLength) {
        int bs = pool.blockSize();
        return (newLength + bs - 1) / bs - blockCount;
    }

    /** Records that positions below {@code newLength} now hold state. */
    public void setLength(int newLength) {
        if (newLength > blockCount * pool.blockSize()) throw new IllegalStateException("length " + newLength + " beyond allocated blocks");
        this.length = newLength;
    }

    /**
     * Starts this (empty) table with blocks the caller already holds references to, covering
     * positions below {@code tokens}; the table takes over those references.
     */
    public void adopt(int[] shared, int tokens) {
        if (blockCount != 0) throw new IllegalStateException("adopt into a non-empty block table");
        if (shared.length > blocks.length) blocks = Arrays.copyOf(blocks, shared.length * 2);
        System.arraycopy(shared, 0, blocks, 0, shared.length);
        blockCount = shared.length;
        setLength(tokens);
    }

    /** The pool block holding block index {@code i} of this sequence. */
    public int block(int i) {
        if (i >= blockCount) throw new IndexOutOfBoundsException("block " + i + " of " + blockCount);
        return blocks[i];
    }

    /** Layer {@code layer}'s state beside the blocks, created by {@code spec} on first use. */
    public <S extends SequenceState> S state(int layer, SequenceStateSpec<S> spec) {
        if (layer >= states.length) states = Arrays.copyOf(states, layer + 1);
        if (states[layer] == null) states[layer] = spec.newState();
        return spec.stateType().cast(states[layer]);
    }

    /** Gives this table independent copies of {@code source}'s per-layer states (a fork at the source's length). */
    void copyStatesFrom(BlockTable source) {
        states = new SequenceState[source.states.length];
        for (int l = 0; l < states.length; l++) if (source.states[l] != null) states[l] = source.states[l].copy();
    }

    /** Layer {@code layer}'s state, or null when it has none (yet). */
    public SequenceState stateOrNull(int layer) {
        return layer < states.length ? states[layer] : null;
    }

    /**
     * Whether the prefix cache will ask for block snapshots of this sequence (layers that keep
     * state beside the blocks record them only then, since they cost memory).
     */
    public boolean snapshotsWanted() { return snapshotsWanted; }

    public void setSnapshotsWanted(boolean wanted) { this.snapshotsWanted = wanted; }

    /**
     * Returns every block to the pool, the last first (as vLLM does: a sequence's tail is the
     * least likely to be shared, so its cached blocks should be reused first), and drops the
     * per-layer state.
     */
    public void release() {
        states = new SequenceState[0];
        for (int i = blockCount - 1; i >= 0; i--) pool.release(blocks[i]);
        blockCount = 0;
        length = 0;
        prefixNode = null;
        publishedBlocks = 0;
    }

    public int blockCount() { return blockCount; }
}
