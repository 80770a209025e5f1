package dev.ember.engine.kv;

import java.util.List;

/**
 * One sequence's state for one layer beside the blocks. The prefix cache shares it through block
 * snapshots: while computing a block whose table {@linkplain BlockTable#snapshotsWanted() wants
 * them}, the state records what a sequence needs to resume after that block; the cache manager
 * takes the snapshot when the block is published and restores a new sequence from the snapshots
 * of its cached prefix.
 */
public interface SequenceState {
    /** The snapshot recorded for block {@code block} (positions below {@code (block + 1) · blockSize}); removes it from the state. */
    BlockSnapshot takeSnapshot(int block);

    /** Rebuilds the state of a new sequence from the snapshots of its first blocks, root side first. */
    void restore(List<BlockSnapshot> blocks);

    /**
     * An independent copy of the state as it is now, for a sequence forked from this one at its
     * current length ({@link CacheManager#fork}); snapshots recorded for unpublished blocks come along.
     */
    SequenceState copy();

    /** Bytes of state held now: {@code [fixed, growing with the context]}. */
    long[] bytes();

    /** For benchmarks: the state {@code length} tokens would leave, with random values (cost depends on size, not values). */
    void fillSynthetic(int length, java.util.SplittableRandom rnd);
}
