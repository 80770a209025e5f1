package dev.ember.engine.kv;

/** What one layer's {@link SequenceState} needs to resume after a block; kept by the prefix cache with the block. */
public interface BlockSnapshot {
    /** Memory it holds, counted against the snapshot budget. */
    long bytes();
}
