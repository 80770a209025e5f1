package dev.ember.engine.kernels;

import dev.ember.engine.api.KvCacheType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Cache-row conversions on the Vector API: BF16 rows widen a vector of shorts at a time (a shift
 * into the high half of each float); the tails fall back to the reference. F16 widens with the
 * weight kernels' exact half conversion, Q8_0 whole blocks with their Q8_0 block decoder (the
 * reference's scalar loop made Q8_0-cache attention 80 % decoding). The results are the
 * reference's bits: every conversion is exact, and q * d is the same single rounding.
 */
final class VectorCacheKernels extends ScalarCacheKernels {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final int L = FS.length();
    private static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> SS = ShortVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(L * 16));
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    static boolean supported() {
        return L >= 4 && SS.length() == L;
    }

    @Override
    public String name() { return "vector-" + FS.vectorBitSize(); }

    /**
     * F16 rows convert into a short array in one counted loop (C2 vectorizes
     * {@code Float.floatToFloat16} there) and are copied out in one call: the same conversion, so
     * the reference's bits, without a bounds-checked segment store per element.
     */
    @Override
    public void encodeRow(KvCacheType type, float[] src, int off, int width, MemorySegment seg, long rowOff) {
        if (type != KvCacheType.F16) {
            super.encodeRow(type, src, off, width, seg, rowOff);
            return;
        }
        short[] halves = HALVES.get();
        if (halves.length < width) HALVES.set(halves = new short[width]);
        for (int i = 0; i < width; i++) halves[i] = Float.floatToFloat16(src[off + i]);
        MemorySegment.copy(halves, 0, seg, S, rowOff, width);
    }

    private static final ThreadLocal<short[]> HALVES = ThreadLocal.withInitial(() -> new short[1024]);

    @Override
    public void decode(KvCacheType type, MemorySegment seg, long rowOff, int from, int n, float[] dst, int dstOff) {
        switch (type) {
            case BF16 -> {
                int i = 0;
                long base = rowOff + 2L * from;
                for (; i + L <= n; i += L) {
                    ShortVector s = ShortVector.fromMemorySegment(SS, seg, base + 2L * i, ORDER);
                    IntVector w = (IntVector) s.convertShape(VectorOperators.S2I, IS, 0);
                    w.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, dstOff + i);
                }
                if (i < n) super.decode(type, seg, rowOff, from + i, n - i, dst, dstOff + i);
            }
            // The exact vector widening the F16 weight kernels use (same bits as Float.float16ToFloat):
            // attention widens whole cache blocks per tile with it.
            case F16 -> VectorBlocks.halfsRow(seg, rowOff + 2L * from, n, dst, dstOff);
            case Q8_0 -> {
                if (from % Q8_BLOCK != 0 || n % Q8_BLOCK != 0) { // whole blocks only (heads of 32k elements: every model here)
                    super.decode(type, seg, rowOff, from, n, dst, dstOff);
                    return;
                }
                long block = rowOff + (long) (from / Q8_BLOCK) * Q8_BLOCK_BYTES;
                for (int i = 0; i < n; i += Q8_BLOCK, block += Q8_BLOCK_BYTES) VectorBlocks.q8_0(seg, block, dst, dstOff + i);
            }
            default -> super.decode(type, seg, rowOff, from, n, dst, dstOff);
        }
    }
}
