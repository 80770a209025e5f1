package dev.ember.engine.runtime;

import java.util.concurrent.atomic.LongAdder;

/** Cumulative counters, updated by the engine thread and read by anyone. */
final class EngineCounters {
    final LongAdder requestsDone = new LongAdder();
    final LongAdder promptTokens = new LongAdder();
    final LongAdder cachedPromptTokens = new LongAdder();
    final LongAdder generatedTokens = new LongAdder();
    final long startNanos = System.nanoTime();
}
