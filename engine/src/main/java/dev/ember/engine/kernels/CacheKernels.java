package dev.ember.engine.kernels;

import dev.ember.engine.api.KvCacheType;

import java.lang.foreign.MemorySegment;

/**
 * Conversion between float rows and KV cache rows stored off-heap in a {@link KvCacheType}.
 * Attention decodes the rows it reads into float scratch and computes with {@link Kernels}, so
 * its reduction order is the same for every cache type (and the cache type cannot break batch
 * invariance). Decoding is exact: F16 and BF16 widen to float without rounding, Q8_0 is one
 * product {@code q · scale}; both implementations give the same bits. Chosen once at startup,
 * like {@link Kernels}.
 */
public interface CacheKernels {

    /** The implementation for this JVM: vector unless {@code -Dember.kernels=scalar} or the Vector API is absent. */
    static CacheKernels get() {
        return KernelsProvider.CACHE;
    }

    String name();

    /** Stores {@code src[off .. off + width)} as one cache row of {@code type} at byte {@code rowOff} of {@code seg}. */
    void encodeRow(KvCacheType type, float[] src, int off, int width, MemorySegment seg, long rowOff);

    /** Writes elements {@code [from, from + n)} of the row at byte {@code rowOff} to {@code dst[dstOff ..]}, as floats. */
    void decode(KvCacheType type, MemorySegment seg, long rowOff, int from, int n, float[] dst, int dstOff);
}
