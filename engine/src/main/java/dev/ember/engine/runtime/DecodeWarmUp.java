package dev.ember.engine.runtime;

import dev.ember.engine.api.KvCacheType;
import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.kv.KvBlockPool;
import dev.ember.engine.model.Encoder;
import dev.ember.engine.model.ForwardBatch;
import dev.ember.engine.model.Model;
import java.lang.foreign.Arena;

/**
 * Decodes a throwaway sequence, one token at a time, right after a model loads and before any
 * prompt runs, so that C2 compiles the single-row matmul kernels (and what they call) first.
 *
 * <p>Why: C2 does not inline a callee that already has compiled code of its own above
 * {@code -XX:InlineSmallCode}, and the Vector API's helpers are large once compiled. When a
 * prefill ran first, the helpers the decode kernels share with it were compiled on their own,
 * the decode kernels compiled later without them inlined, and decode ran 15–20 % slower for the
 * life of the JVM ({@code bench -p 512 -n 128}, Q4_K_M, Zen 3 VM, alternating runs: tg 20.7–23.8
 * tok/s before, 24.8–27.3 with this warm-up; 24.3–26.2 when no prefill runs at all).
 *
 * <p>It runs for at most {@link #SECONDS} ({@code -Dember.warmUp.seconds}, 0 turns it off) and
 * at most {@link #MAX_STEPS} tokens, in its own small cache, so nothing the engine holds is
 * touched. Models that do not decode (encoders) skip it.
 */
public final class DecodeWarmUp {
    /** Default cap on the warm-up's wall time. */
    static final double SECONDS = 1.0;
    /** Cap on decoded tokens: a small model reaches it in milliseconds. */
    static final int MAX_STEPS = 256;

    private DecodeWarmUp() {}

    /** The warm-up's time cap: {@code -Dember.warmUp.seconds}, or {@link #SECONDS}. */
    static double seconds() {
        String s = System.getProperty("ember.warmUp.seconds");
        if (s == null) return SECONDS;
        try {
            double v = Double.parseDouble(s.trim());
            return Double.isFinite(v) && v > 0 ? v : 0;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("ember.warmUp.seconds: '" + s + "' is not a number of seconds; pass e.g. -Dember.warmUp.seconds=1, or 0 to skip the warm-up");
        }
    }

    /** Runs the warm-up with the configured cap; returns the tokens it decoded. */
    public static int run(Model model) {
        return run(model, seconds(), MAX_STEPS);
    }

    /** Decodes up to {@code maxSteps} tokens for at most {@code seconds}; returns how many it decoded. */
    static int run(Model model, double seconds, int maxSteps) {
        if (seconds <= 0 || maxSteps <= 0 || model instanceof Encoder) return 0;
        int steps = Math.min(maxSteps, model.config().contextLength());
        int blockSize = model.cacheBlockSize();
        try (Arena arena = Arena.ofShared()) { // shared: the worker threads write the cache
            KvBlockPool pool = KvBlockPool.forLayers(blockSize, (steps + blockSize - 1) / blockSize + 1, model.cacheSpecs(), KvCacheType.DEFAULT, arena);
            BlockTable table = new BlockTable(pool);
            table.ensureCapacity(steps);
            int vocab = model.config().vocabSize();
            int[] tokens = new int[steps];
            for (int i = 0; i < steps; i++) tokens[i] = (int) ((i * 7919L + 11) % vocab); // any ids: only the kernels' compilation matters
            float[] logits = new float[vocab];
            int[] last = {0};
            long end = System.nanoTime() + (long) (seconds * 1e9);
            int i = 0;
            while (i < steps && System.nanoTime() < end) {
                model.forward(ForwardBatch.ofSequence(tokens, i, 1, i, table, last), logits);
                table.setLength(++i);
            }
            return i;
        }
    }
}
