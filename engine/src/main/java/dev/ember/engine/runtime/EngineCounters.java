package dev.ember.engine.runtime;

import java.util.concurrent.atomic.LongAdder;

/** Cumulative counters, updated by the engine thread and read by anyone. */
final class EngineCounters {
    final LongAdder requestsDone = new LongAdder();
    final LongAdder promptTokens = new LongAdder();
    final LongAdder cachedPromptTokens = new LongAdder();
    final LongAdder forkedPromptTokens = new LongAdder();
    final LongAdder generatedTokens = new LongAdder();
    final LongAdder cancelled = new LongAdder();
    final long startNanos = System.nanoTime();
    // Written by the engine thread after each step only.
    volatile int running;
    volatile int peakRunning;
    volatile long preemptions;
    volatile int freeBlocks;

    /** Records the scheduler's state after a step. */
    void observe(int runningNow, long preemptionsSoFar, int freeBlocksNow) {
        running = runningNow;
        if (runningNow > peakRunning) peakRunning = runningNow;
        preemptions = preemptionsSoFar;
        freeBlocks = freeBlocksNow;
    }
}
