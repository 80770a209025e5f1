package dev.ember.engine.api;

/**
 * Engine-wide settings.
 *
 * @param threads        compute threads (the worker pool size)
 * @param contextLength  most tokens per sequence; 0 means the model's trained context
 * @param kvCacheBytes   byte budget of the KV cache (blocks and per-sequence state); 0 picks a default from available memory
 * @param maxBatchTokens most tokens in one forward step (prefill chunks plus decode tokens); 0 picks it
 *                       from the model's width ({@link #batchTokensFor})
 * @param maxSequences   most sequences running at once
 * @param kvCacheType    element type the KV cache stores ({@link KvCacheType#DEFAULT} unless asked)
 * @param snapshotBytes  most bytes the prefix cache keeps for block snapshots of models with state beside
 *                       the blocks (sliding windows, compressors); 0 picks a default (256 MiB)
 */
public record EngineOptions(int threads, int contextLength, long kvCacheBytes, int maxBatchTokens, int maxSequences,
                            KvCacheType kvCacheType, long snapshotBytes) {
    /** The snapshot budget used when none is given. */
    public static final long DEFAULT_SNAPSHOT_BYTES = 256L << 20;

    public EngineOptions {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        if (contextLength < 0) throw new IllegalArgumentException("context length must be >= 0, got " + contextLength);
        if (kvCacheBytes < 0) throw new IllegalArgumentException("kv cache bytes must be >= 0, got " + kvCacheBytes);
        if (maxBatchTokens < 0) throw new IllegalArgumentException("max batch tokens must be >= 1 (or 0 for the default), got " + maxBatchTokens);
        if (maxSequences < 1) throw new IllegalArgumentException("max sequences must be >= 1, got " + maxSequences);
        if (kvCacheType == null) throw new IllegalArgumentException("kv cache type is null; use f32, f16, bf16 or q8_0");
        if (snapshotBytes < 0) throw new IllegalArgumentException("snapshot bytes must be >= 0, got " + snapshotBytes);
    }

    /** The settings without a cache type or snapshot budget: the defaults for both. */
    public EngineOptions(int threads, int contextLength, long kvCacheBytes, int maxBatchTokens, int maxSequences) {
        this(threads, contextLength, kvCacheBytes, maxBatchTokens, maxSequences, KvCacheType.DEFAULT, 0);
    }

    public static EngineOptions defaults() {
        return new EngineOptions(Math.max(1, Runtime.getRuntime().availableProcessors()), 0, 0, 0, 64);
    }

    /**
     * A step's token budget when none is given: as many tokens as make a step's hidden states about
     * 256K floats, between 512 and 2,048. Models 512 wide and wider keep 512-token steps; narrower
     * ones take more tokens per step, so that each step's fixed costs (parallel regions,
     * bookkeeping) spread over more arithmetic. The shipped 256-wide model scoring 600 documents
     * (`ember score`, 2 threads): 40 CPU-seconds at 512, 32 at 1,024, 35 at 2,048 (where the larger
     * per-step arrays cost page faults).
     */
    public static int batchTokensFor(int dim) {
        return Math.max(512, Math.min(2048, (1 << 18) / Math.max(1, dim)));
    }

    /** The step token budget in effect for a model {@code dim} wide. */
    public int effectiveBatchTokens(int dim) { return maxBatchTokens > 0 ? maxBatchTokens : batchTokensFor(dim); }

    /** The snapshot budget in effect. */
    public long effectiveSnapshotBytes() { return snapshotBytes > 0 ? snapshotBytes : DEFAULT_SNAPSHOT_BYTES; }

    public EngineOptions withThreads(int t) { return new EngineOptions(t, contextLength, kvCacheBytes, maxBatchTokens, maxSequences, kvCacheType, snapshotBytes); }
    public EngineOptions withContextLength(int c) { return new EngineOptions(threads, c, kvCacheBytes, maxBatchTokens, maxSequences, kvCacheType, snapshotBytes); }
    public EngineOptions withKvCacheBytes(long b) { return new EngineOptions(threads, contextLength, b, maxBatchTokens, maxSequences, kvCacheType, snapshotBytes); }
    public EngineOptions withMaxBatchTokens(int n) { return new EngineOptions(threads, contextLength, kvCacheBytes, n, maxSequences, kvCacheType, snapshotBytes); }
    public EngineOptions withMaxSequences(int n) { return new EngineOptions(threads, contextLength, kvCacheBytes, maxBatchTokens, n, kvCacheType, snapshotBytes); }
    public EngineOptions withKvCacheType(KvCacheType t) { return new EngineOptions(threads, contextLength, kvCacheBytes, maxBatchTokens, maxSequences, t, snapshotBytes); }
    public EngineOptions withSnapshotBytes(long b) { return new EngineOptions(threads, contextLength, kvCacheBytes, maxBatchTokens, maxSequences, kvCacheType, b); }
}
