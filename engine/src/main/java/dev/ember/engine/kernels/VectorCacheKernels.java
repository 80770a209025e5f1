package dev.ember.engine.kernels;

import dev.ember.engine.api.KvCacheType;
import jdk.incubator.vector.ByteVector;
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
 * into the high half of each float), Q8_0 blocks a vector of bytes at a time; the tails and F16
 * (whose scalar conversion the JIT compiles to one instruction) fall back to the reference. The
 * results are the reference's bits: every conversion is exact.
 */
final class VectorCacheKernels extends ScalarCacheKernels {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final int L = FS.length();
    private static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> SS = ShortVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(L * 16));
    private static final VectorSpecies<Byte> BS = ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(Math.max(64, L * 8)));
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    static boolean supported() {
        return L >= 4 && L * 8 >= 64 && BS.length() == L && SS.length() == L;
    }

    @Override
    public String name() { return "vector-" + FS.vectorBitSize(); }

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
            case Q8_0 -> {
                int i = 0;
                while (i < n) {
                    int e = from + i;
                    int inBlock = e % Q8_BLOCK;
                    long base = rowOff + (long) (e / Q8_BLOCK) * Q8_BLOCK_BYTES;
                    if (inBlock % L == 0 && i + L <= n) {
                        float d = Float.float16ToFloat(seg.get(S, base));
                        ByteVector q = ByteVector.fromMemorySegment(BS, seg, base + 2 + inBlock, ORDER);
                        ((FloatVector) q.convertShape(VectorOperators.B2F, FS, 0)).mul(d).intoArray(dst, dstOff + i);
                        i += L;
                    } else {
                        super.decode(type, seg, rowOff, e, 1, dst, dstOff + i);
                        i++;
                    }
                }
            }
            default -> super.decode(type, seg, rowOff, from, n, dst, dstOff);
        }
    }
}
