package dev.ember.engine.kernels;

import dev.ember.engine.api.KvCacheType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The reference cache-row conversions, one element at a time. */
class ScalarCacheKernels implements CacheKernels {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final int Q8_BLOCK = 32;
    static final int Q8_BLOCK_BYTES = 34;

    private static final ThreadLocal<short[]> SHORTS = ThreadLocal.withInitial(() -> new short[1024]);
    private static final ThreadLocal<byte[]> BYTES = ThreadLocal.withInitial(() -> new byte[Q8_BLOCK]);

    private static short[] grow(int n) {
        short[] a = new short[Math.max(n, SHORTS.get().length * 2)];
        SHORTS.set(a);
        return a;
    }

    @Override
    public String name() { return "scalar"; }

    @Override
    public void encodeRow(KvCacheType type, float[] src, int off, int width, MemorySegment seg, long rowOff) {
        switch (type) {
            case F32 -> MemorySegment.copy(src, off, seg, F, rowOff, width);
            case F16 -> {
                for (int i = 0; i < width; i++) seg.set(S, rowOff + 2L * i, Float.floatToFloat16(src[off + i]));
            }
            case BF16 -> {
                for (int i = 0; i < width; i++) seg.set(S, rowOff + 2L * i, toBf16(src[off + i]));
            }
            case Q8_0 -> encodeQ8(src, off, width, seg, rowOff);
        }
    }

    /** Round to nearest even; NaN stays a (quiet) NaN. */
    static short toBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        if (Float.isNaN(x)) return (short) ((bits >>> 16) | 0x40);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    static float fromBf16(short s) {
        return Float.intBitsToFloat(s << 16);
    }

    /** GGUF's Q8_0: per block of 32, scale = max|x| / 127 (stored as F16), values round(x / scale). */
    static void encodeQ8(float[] src, int off, int width, MemorySegment seg, long rowOff) {
        for (int b0 = 0; b0 < width; b0 += Q8_BLOCK) {
            int n = Math.min(Q8_BLOCK, width - b0);
            float amax = 0;
            for (int i = 0; i < n; i++) amax = Math.max(amax, Math.abs(src[off + b0 + i]));
            short dBits = Float.floatToFloat16(amax / 127f);
            float d = Float.float16ToFloat(dBits);
            float id = d != 0 ? 1f / d : 0f;
            long base = rowOff + (long) (b0 / Q8_BLOCK) * Q8_BLOCK_BYTES;
            seg.set(S, base, dBits);
            for (int i = 0; i < Q8_BLOCK; i++) {
                int q = i < n ? Math.max(-127, Math.min(127, Math.round(src[off + b0 + i] * id))) : 0;
                seg.set(ValueLayout.JAVA_BYTE, base + 2 + i, (byte) q);
            }
        }
    }

    @Override
    public void decode(KvCacheType type, MemorySegment seg, long rowOff, int from, int n, float[] dst, int dstOff) {
        switch (type) {
            case F32 -> MemorySegment.copy(seg, F, rowOff + 4L * from, dst, dstOff, n);
            case F16 -> {
                // Bulk copy, then a plain array loop: the JIT turns it into vector F16 conversions.
                short[] h = SHORTS.get().length >= n ? SHORTS.get() : grow(n);
                MemorySegment.copy(seg, S, rowOff + 2L * from, h, 0, n);
                for (int i = 0; i < n; i++) dst[dstOff + i] = Float.float16ToFloat(h[i]);
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst[dstOff + i] = fromBf16(seg.get(S, rowOff + 2L * (from + i)));
            }
            case Q8_0 -> {
                byte[] q = BYTES.get();
                for (int i = 0; i < n; ) {
                    int e = from + i;
                    int inBlock = e % Q8_BLOCK;
                    int count = Math.min(Q8_BLOCK - inBlock, n - i);
                    long base = rowOff + (long) (e / Q8_BLOCK) * Q8_BLOCK_BYTES;
                    float d = Float.float16ToFloat(seg.get(S, base));
                    MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, base + 2 + inBlock, q, 0, count);
                    for (int j = 0; j < count; j++) dst[dstOff + i + j] = q[j] * d;
                    i += count;
                }
            }
        }
    }
}
