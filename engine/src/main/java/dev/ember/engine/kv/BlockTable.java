package dev.ember.engine.kv;

import java.util.Arrays;

/**
 * One sequence's view of the KV pool: the blocks holding its positions, in order. Position
 * {@code p} lives in slot {@code blocks[p / blockSize] * blockSize + p % blockSize}.
 */
public final class BlockTable {
    private final KvBlockPool pool;
    private int[] blocks = new int[8];
    private int blockCount;
    private int length;
    private Object modelState;
    private boolean snapshotsWanted;

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
        int bs = pool.blockSize();
        int needBlocks = (newLength + bs - 1) / bs;
        int missing = needBlocks - blockCount;
        if (missing <= 0) return true;
        if (missing > pool.freeBlocks()) return false;
        if (needBlocks > blocks.length) blocks = Arrays.copyOf(blocks, Math.max(needBlocks, blocks.length * 2));
        for (int i = 0; i < missing; i++) blocks[blockCount++] = pool.allocate();
        return true;
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

    /**
     * Per-sequence state a model keeps outside the paged blocks (DeepSeek-V4's sliding-window
     * ring and compressor state), created on first use and dropped with the table's blocks.
     */
    @SuppressWarnings("unchecked")
    public <T> T modelState(java.util.function.Supplier<T> create) {
        if (modelState == null) modelState = create.get();
        return (T) modelState;
    }

    /**
     * Whether the prefix cache will ask for block snapshots of this sequence (models that keep
     * state beside the blocks record them only then, since they cost memory).
     */
    public boolean snapshotsWanted() { return snapshotsWanted; }

    public void setSnapshotsWanted(boolean wanted) { this.snapshotsWanted = wanted; }

    /** Returns every block to the pool. */
    public void release() {
        modelState = null;
        for (int i = 0; i < blockCount; i++) pool.release(blocks[i]);
        blockCount = 0;
        length = 0;
    }

    public int blockCount() { return blockCount; }
}
