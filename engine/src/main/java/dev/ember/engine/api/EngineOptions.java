package dev.ember.engine.api;

/**
 * Engine-wide settings.
 *
 * @param threads        compute threads (the worker pool size)
 * @param contextLength  most tokens per sequence; 0 means the model's trained context
 * @param kvCacheBytes   byte budget of the KV block pool; 0 picks a default from available memory
 * @param maxBatchTokens most tokens in one forward step (prefill chunks plus decode tokens)
 * @param maxSequences   most sequences running at once
 */
public record EngineOptions(int threads, int contextLength, long kvCacheBytes, int maxBatchTokens, int maxSequences) {
    public EngineOptions {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        if (contextLength < 0) throw new IllegalArgumentException("context length must be >= 0, got " + contextLength);
        if (kvCacheBytes < 0) throw new IllegalArgumentException("kv cache bytes must be >= 0, got " + kvCacheBytes);
        if (maxBatchTokens < 1) throw new IllegalArgumentException("max batch tokens must be >= 1, got " + maxBatchTokens);
        if (maxSequences < 1) throw new IllegalArgumentException("max sequences must be >= 1, got " + maxSequences);
    }

    public static EngineOptions defaults() {
        return new EngineOptions(Math.max(1, Runtime.getRuntime().availableProcessors()), 0, 0, 512, 64);
    }

    public EngineOptions withThreads(int t) { return new EngineOptions(t, contextLength, kvCacheBytes, maxBatchTokens, maxSequences); }
    public EngineOptions withContextLength(int c) { return new EngineOptions(threads, c, kvCacheBytes, maxBatchTokens, maxSequences); }
    public EngineOptions withKvCacheBytes(long b) { return new EngineOptions(threads, contextLength, b, maxBatchTokens, maxSequences); }
    public EngineOptions withMaxBatchTokens(int n) { return new EngineOptions(threads, contextLength, kvCacheBytes, n, maxSequences); }
    public EngineOptions withMaxSequences(int n) { return new EngineOptions(threads, contextLength, kvCacheBytes, maxBatchTokens, n); }
}
