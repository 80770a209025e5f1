package dev.ember.engine.kernels;

import dev.ember.engine.tensor.Dequant;
import dev.ember.engine.tensor.TensorType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector block decoders: the small per-type part. Each turns stored elements into exactly the
 * floats that {@link Dequant} defines (same IEEE operations in the same order, so the results are
 * bit-identical to the scalar reference), L lanes at a time.
 */
final class VectorBlocks {
    /**
     * The machine's preferred float vectors, or {@code -Dember.kernels.vectorBits=512} (or 256):
     * for tests only, so that an AVX2 machine checks the AVX-512 shapes and layouts too (the
     * Vector API computes a shape the CPU lacks in Java, correctly and very slowly).
     */
    static final VectorSpecies<Float> FS = floatSpecies(Integer.getInteger("ember.kernels.vectorBits", 0));
    static final int L = FS.length();

    private static VectorSpecies<Float> floatSpecies(int forcedBits) {
        return forcedBits > 0 ? VectorSpecies.of(float.class, VectorShape.forBitSize(forcedBits)) : FloatVector.SPECIES_PREFERRED;
    }

    static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED.withShape(FS.vectorShape());
    /** L bytes: one load that widens to one float vector. */
    static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, L * 8)));
    /** L shorts. */
    static final VectorSpecies<Short> SS = VectorSpecies.of(short.class, VectorShape.forBitSize(Math.max(64, L * 16)));
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /**
     * Whether the machine has 32 vector registers (AVX-512), not 16 (AVX2). Kernels with 12 or
     * more live accumulators (six-token tiles, four-stream decode) only fit the larger file: on
     * AVX2, C2 spilled one accumulator of the six-token tile to the stack, and the loop ran at the
     * latency of a store-forwarded FMA chain (perf on a Zen 3 VM: prefill 37 GFLOP/s per core).
     */
    static final boolean WIDE_REGISTER_FILE = FS.vectorBitSize() >= 512;

    private VectorBlocks() {}

    // ---- element loaders ----
    // There are deliberately no small helpers that return vectors (load-and-widen, int-to-float):
    // a helper returning a vector must be inlined, or C2 boxes the vector (an allocation per call),
    // and in the larger kernels C2 hit its node-count inlining cutoff on exactly such helpers
    // (q6_K and Q4_K decode ran 2-5x slower). The conversions are written out at each use, and
    // per-block work is split into methods that pass vectors only through arrays.

    /**
     * {@code k} IEEE half floats at {@code off}, widened exactly (same bits as Float.float16ToFloat
     * for all non-NaN inputs) into {@code dst[dstOff ..]}. A whole-row loop that stores, rather than
     * a per-vector helper that returns: it is too large for C2 to inline everywhere, and a returned
     * vector that is not inlined gets boxed.
     */
    static void halfsRow(MemorySegment seg, long offset, int k, float[] dst, int dstOff) {
        if (k >= HARDWARE_HALFS_MIN) {
            hardwareHalfs(seg, offset, k, dst, dstOff);
            return;
        }
        int i = 0;
        for (int bound = FS.loopBound(k); i < bound; i += L) widenHalfs(seg, offset + 2L * i, IN_ORDER, dst, dstOff + i);
        for (; i < k; i++) dst[dstOff + i] = f16(seg, offset + 2L * i);
    }

    /**
     * From this many halves, {@link #halfsRow} takes {@link #hardwareHalfs}. Below it the loop that
     * C2 vectorizes runs mostly in its scalar pre- and post-loops (it unrolls by several vectors):
     * on the Zen 3 VM 64 halves took 45 ns that way against 17 for the Vector API widening, 128
     * halves 17 against 30, 2048 (an attention tile's keys) 98 against 415.
     */
    private static final int HARDWARE_HALFS_MIN = 128;

    /**
     * The same conversion as a plain counted loop of {@code Float.float16ToFloat}, which C2
     * compiles to the CPU's half-to-float instruction (vcvtph2ps); the Vector API on JDK 25 has no
     * such conversion, so {@link #widenHalfs} spends about a dozen instructions per vector on it.
     * Same bits: it is the reference's own conversion.
     */
    private static void hardwareHalfs(MemorySegment seg, long offset, int k, float[] dst, int dstOff) {
        for (int i = 0; i < k; i++) dst[dstOff + i] = Float.float16ToFloat(seg.get(Dequant.LE_SHORT, offset + 2L * i));
    }

    /**
     * {@code 2L} IEEE half floats at {@code offset}, widened as {@link #halfsRow} does: the even
     * ones (0, 2, ...) into {@code dst[dstOff .. dstOff + L)}, the odd ones after them. One int
     * load and a mask or shift per half, where the halves in order need a widening conversion of
     * each half of the vector (the upper one costs several shuffles on AVX2).
     */
    static void halfsEvenOdd(MemorySegment seg, long offset, float[] dst, int dstOff) {
        widenHalfs(seg, offset, EVEN, dst, dstOff);
        widenHalfs(seg, offset, ODD, dst, dstOff + L);
    }

    /** Which L halves {@link #widenHalfs} reads: L in order, or the even or odd ones of 2L. */
    private static final int IN_ORDER = 0, EVEN = 1, ODD = 2;

    /**
     * L half floats at {@code offset} ({@code form}), widened exactly into {@code dst[dstOff ..]}.
     * It loads its own vector rather than taking one: a vector argument of a call that C2 does
     * not inline is boxed, and C2 stopped inlining this helper into the decode kernels once it had
     * compiled it on its own (a prefill converts many scales). `bench -p 64 -n 32` on Q4_K_M read
     * tg 17-21 tok/s with the vector argument, 26-28 without.
     */
    private static void widenHalfs(MemorySegment seg, long offset, int form, float[] dst, int dstOff) {
        IntVector h = switch (form) {
            case EVEN -> IntVector.fromMemorySegment(IS, seg, offset, LE).and(0xFFFF);
            case ODD -> IntVector.fromMemorySegment(IS, seg, offset, LE).lanewise(VectorOperators.LSHR, 16);
            default -> (IntVector) ShortVector.fromMemorySegment(SS, seg, offset, LE).convertShape(VectorOperators.ZERO_EXTEND_S2I, IS, 0);
        };
        IntVector em = h.and(0x7FFF);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        // Shift exponent+mantissa into float position (bias 15 instead of 127), then scale by 2^112:
        // exact for normal and subnormal halves alike.
        FloatVector mag = em.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
        IntVector bits = mag.reinterpretAsInts();
        VectorMask<Integer> special = em.compare(VectorOperators.GE, 0x7C00); // inf / NaN
        bits = bits.blend(em.lanewise(VectorOperators.LSHL, 13).or(0x7F800000), special);
        bits.or(sign).reinterpretAsFloats().intoArray(dst, dstOff);
    }

    /** {@code k} bfloat16 at {@code offset}, widened (exact) into {@code dst[dstOff ..]}. */
    static void bfloat16Row(MemorySegment seg, long offset, int k, float[] dst, int dstOff) {
        int i = 0;
        for (int bound = FS.loopBound(k); i < bound; i += L) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(SS, seg, offset + 2L * i, LE).convertShape(VectorOperators.S2I, IS, 0);
            h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, dstOff + i);
        }
        for (; i < k; i++) dst[dstOff + i] = Dequant.bf16ToFloat(seg.get(Dequant.LE_SHORT, offset + 2L * i));
    }

    static float f16(MemorySegment seg, long off) {
        return Float.float16ToFloat(seg.get(Dequant.LE_SHORT, off));
    }

    // ---- row decoders ----

    /**
     * Decodes {@code k} elements of the row at byte {@code offset} into {@code dst[off .. off + k)}.
     * Types with a vector block decoder here use it; every other type decodes each block with its
     * {@link dev.ember.engine.tensor.BlockFormat}'s scalar reference decoder (the same floats by
     * definition), so a new type needs no code in the kernels: the matmul loops around this call
     * are shared by all types.
     */
    static void decodeRow(TensorType type, MemorySegment seg, long offset, int k, float[] dst, int off) {
        int bs = type.blockSize(), bb = type.blockBytes();
        switch (type) {
            case F32 -> MemorySegment.copy(seg, Dequant.LE_FLOAT, offset, dst, off, k);
            case F16 -> halfsRow(seg, offset, k, dst, off);
            case BF16 -> bfloat16Row(seg, offset, k, dst, off);
            case Q8_0 -> { for (int b = 0; b < k / bs; b++) q8_0(seg, offset + (long) bb * b, dst, off + bs * b); }
            case Q4_0 -> { for (int b = 0; b < k / bs; b++) q4_0(seg, offset + (long) bb * b, dst, off + bs * b); }
            case Q4_K -> { for (int b = 0; b < k / bs; b++) q4_K(seg, offset + (long) bb * b, dst, off + bs * b); }
            case Q6_K -> { for (int b = 0; b < k / bs; b++) q6_K(seg, offset + (long) bb * b, dst, off + bs * b); }
            case Q4_1 -> { for (int b = 0; b < k / bs; b++) { long o = offset + (long) bb * b; nibbles32(seg, o + 4, 0, false, f16(seg, o), f16(seg, o + 2), dst, off + bs * b); } }
            case Q5_0 -> { for (int b = 0; b < k / bs; b++) { long o = offset + (long) bb * b; nibbles32(seg, o + 6, seg.get(QH, o + 2), true, f16(seg, o), 0f, dst, off + bs * b); } }
            case Q5_1 -> { for (int b = 0; b < k / bs; b++) { long o = offset + (long) bb * b; nibbles32(seg, o + 8, seg.get(QH, o + 4), false, f16(seg, o), f16(seg, o + 2), dst, off + bs * b); } }
            case Q5_K -> { for (int b = 0; b < k / bs; b++) q5_K(seg, offset + (long) bb * b, dst, off + bs * b); }
            default -> {
                if (!type.format().isWeight()) throw new UnsupportedOperationException(type + " is not a float or quantized weight type");
                type.format().dequantizeRow(seg, offset, k, dst, off);
            }
        }
    }

    private static final ValueLayout.OfInt QH = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final IntVector IOTA = IntVector.zero(IS).addIndex(1);

    /**
     * A 32-element block of nibbles at {@code qs} (element j in byte j's low nibble, j + 16 in its
     * high one) with fifth bits {@code qh} (bit i for element i; 0 for Q4_1): Q4_1 and Q5_1 are
     * {@code d * q + m}, computed as {@code fma(q, d, m)} (the same number: {@code d * q} has at
     * most 16 significant bits, so it is exact); Q5_0 ({@code sub16}) is {@code (q - 16) * d},
     * a multiply as in the reference, so that a zero keeps the reference's sign.
     */
    private static void nibbles32(MemorySegment seg, long qs, int qh, boolean sub16, float df, float m, float[] dst, int off) {
        FloatVector d = FloatVector.broadcast(FS, df), mv = FloatVector.broadcast(FS, m);
        IntVector bits = IntVector.broadcast(IS, qh);
        for (int v = 0; v < 16; v += L) {
            IntVector q = (IntVector) ByteVector.fromMemorySegment(BS, seg, qs + v, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            IntVector lo = q.and(0xF).or(bits.lanewise(VectorOperators.LSHR, IOTA.add(v)).and(1).lanewise(VectorOperators.LSHL, 4));
            IntVector hi = q.lanewise(VectorOperators.LSHR, 4).or(bits.lanewise(VectorOperators.LSHR, IOTA.add(v + 16)).and(1).lanewise(VectorOperators.LSHL, 4));
            if (sub16) {
                ((FloatVector) lo.sub(16).convertShape(VectorOperators.I2F, FS, 0)).mul(d).intoArray(dst, off + v);
                ((FloatVector) hi.sub(16).convertShape(VectorOperators.I2F, FS, 0)).mul(d).intoArray(dst, off + 16 + v);
            } else {
                ((FloatVector) lo.convertShape(VectorOperators.I2F, FS, 0)).fma(d, mv).intoArray(dst, off + v);
                ((FloatVector) hi.convertShape(VectorOperators.I2F, FS, 0)).fma(d, mv).intoArray(dst, off + 16 + v);
            }
        }
    }

    static void q8_0(MemorySegment seg, long block, float[] dst, int off) {
        FloatVector d = FloatVector.broadcast(FS, f16(seg, block));
        for (int v = 0; v < 32; v += L) ((FloatVector) ByteVector.fromMemorySegment(BS, seg, block + 2 + v, LE).convertShape(VectorOperators.B2F, FS, 0)).mul(d).intoArray(dst, off + v);
    }

    static void q4_0(MemorySegment seg, long block, float[] dst, int off) {
        float df = f16(seg, block);
        FloatVector d = FloatVector.broadcast(FS, df);
        FloatVector m8d = FloatVector.broadcast(FS, -8f * df);
        for (int v = 0; v < 16; v += L) {
            IntVector q = (IntVector) ByteVector.fromMemorySegment(BS, seg, block + 2 + v, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            // fma(q, d, -8d) equals (q - 8) * d exactly (see Dequant)
            ((FloatVector) q.and(0xF).convertShape(VectorOperators.I2F, FS, 0)).fma(d, m8d).intoArray(dst, off + v);
            ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, FS, 0))
                    .fma(d, m8d).intoArray(dst, off + 16 + v);
        }
    }

    static void q4_K(MemorySegment seg, long block, float[] dst, int off) {
        float d = f16(seg, block);
        float dmin = f16(seg, block + 2);
        long scales = block + 4;
        long qs = block + 16;
        for (int g = 0; g < 4; g++) {
            FloatVector d1 = FloatVector.broadcast(FS, d * Dequant.q4kScale(seg, scales, 2 * g));
            // d1*q is exact (at most 21 significant bits), so fma(q, d1, -m1) rounds once, exactly
            // like the reference's d1*q - m1.
            FloatVector m1 = FloatVector.broadcast(FS, -(dmin * Dequant.q4kMin(seg, scales, 2 * g)));
            FloatVector d2 = FloatVector.broadcast(FS, d * Dequant.q4kScale(seg, scales, 2 * g + 1));
            FloatVector m2 = FloatVector.broadcast(FS, -(dmin * Dequant.q4kMin(seg, scales, 2 * g + 1)));
            int base = off + 64 * g;
            for (int v = 0; v < 32; v += L) {
                IntVector q = (IntVector) ByteVector.fromMemorySegment(BS, seg, qs + 32L * g + v, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                ((FloatVector) q.and(0xF).convertShape(VectorOperators.I2F, FS, 0))
                        .fma(d1, m1).intoArray(dst, base + v);
                ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, FS, 0))
                        .fma(d2, m2).intoArray(dst, base + 32 + v);
            }
        }
    }

    /** Q5_K (the type Q4_K_M and Q5_K_M files hold beside Q4_K and Q6_K): Q4_K's nibbles plus a fifth bit per element. */
    static void q5_K(MemorySegment seg, long block, float[] dst, int off) {
        float d = f16(seg, block);
        float dmin = f16(seg, block + 2);
        for (int g = 0; g < 4; g++) q5kGroup(seg, block, g, d, dmin, dst, off + 64 * g);
    }

    /**
     * Group g (64 elements) of a Q5_K block: elements v (low nibbles, fifth bit 2g of qh, scale 2g)
     * and 32 + v (high nibbles, bit 2g + 1, scale 2g + 1). As for Q4_K, {@code (d * sc) * q} is
     * exact (at most 11 + 6 + 5 significant bits), so {@code fma(q, d * sc, -(dmin * m))} equals
     * the reference's multiply-then-subtract bit for bit.
     */
    private static void q5kGroup(MemorySegment seg, long block, int g, float d, float dmin, float[] dst, int base) {
        long scales = block + 4, qh = block + 16, qs = block + 48 + 32L * g;
        FloatVector d1 = FloatVector.broadcast(FS, d * Dequant.q4kScale(seg, scales, 2 * g));
        FloatVector m1 = FloatVector.broadcast(FS, -(dmin * Dequant.q4kMin(seg, scales, 2 * g)));
        FloatVector d2 = FloatVector.broadcast(FS, d * Dequant.q4kScale(seg, scales, 2 * g + 1));
        FloatVector m2 = FloatVector.broadcast(FS, -(dmin * Dequant.q4kMin(seg, scales, 2 * g + 1)));
        for (int v = 0; v < 32; v += L) {
            IntVector q = (IntVector) ByteVector.fromMemorySegment(BS, seg, qs + v, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            IntVector h = (IntVector) ByteVector.fromMemorySegment(BS, seg, qh + v, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            IntVector lo = q.and(0xF).or(h.lanewise(VectorOperators.LSHR, 2 * g).and(1).lanewise(VectorOperators.LSHL, 4));
            IntVector hi = q.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHR, 2 * g + 1).and(1).lanewise(VectorOperators.LSHL, 4));
            ((FloatVector) lo.convertShape(VectorOperators.I2F, FS, 0)).fma(d1, m1).intoArray(dst, base + v);
            ((FloatVector) hi.convertShape(VectorOperators.I2F, FS, 0)).fma(d2, m2).intoArray(dst, base + 32 + v);
        }
    }

    static void q6_K(MemorySegment seg, long block, float[] dst, int off) {
        float d = f16(seg, block + 208);
        for (int h = 0; h < 2; h++) {
            for (int v = 0; v < 32; v += L) q6Chunk(seg, block, h, v, d, dst, off + 128 * h);
        }
    }

    /**
     * Elements {@code v .. v+L} of each quarter of half {@code h} of a Q6_K block. Kept apart from
     * the block loop: in one method, C2 hit its node-count cutoff, stopped inlining the vector
     * helpers and boxed every vector (5x slower).
     */
    private static void q6Chunk(MemorySegment seg, long block, int h, int v, float d, float[] dst, int base) {
        long ql = block + 64L * h;
        long qh = block + 128 + 32L * h;
        long sc = block + 192 + 8L * h;
        int is = v / 16; // L <= 16, so one vector sits inside one 16-element scale group
        IntVector lo0 = (IntVector) ByteVector.fromMemorySegment(BS, seg, ql + v, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
        IntVector lo1 = (IntVector) ByteVector.fromMemorySegment(BS, seg, ql + 32 + v, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
        IntVector hi = (IntVector) ByteVector.fromMemorySegment(BS, seg, qh + v, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
        IntVector q1 = lo0.and(0xF).or(hi.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
        IntVector q2 = lo1.and(0xF).or(hi.and(0xC).lanewise(VectorOperators.LSHL, 2)).sub(32);
        IntVector q3 = lo0.lanewise(VectorOperators.LSHR, 4).or(hi.and(0x30)).sub(32);
        IntVector q4 = lo1.lanewise(VectorOperators.LSHR, 4).or(hi.and(0xC0).lanewise(VectorOperators.LSHR, 2)).sub(32);
        ((FloatVector) q1.convertShape(VectorOperators.I2F, FS, 0)).mul(d * seg.get(ValueLayout.JAVA_BYTE, sc + is)).intoArray(dst, base + v);
        ((FloatVector) q2.convertShape(VectorOperators.I2F, FS, 0)).mul(d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 2)).intoArray(dst, base + 32 + v);
        ((FloatVector) q3.convertShape(VectorOperators.I2F, FS, 0)).mul(d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 4)).intoArray(dst, base + 64 + v);
        ((FloatVector) q4.convertShape(VectorOperators.I2F, FS, 0)).mul(d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 6)).intoArray(dst, base + 96 + v);
    }

    /**
     * {@link ActivationQuant#quantize(float[], int, int, float[], float[])} a vector at a time, for whole blocks:
     * the maximum is exact in any order and each value takes the same two roundings, so the same bits.
     */
    static void quantizeInt8(float[] in, int rows, int k, float[] q, float[] d) {
        int block = ActivationQuant.BLOCK;
        FloatVector round = FloatVector.broadcast(FS, ActivationQuant.ROUND);
        for (int b = 0, n = rows * k; b * block < n; b++) {
            int i0 = block * b;
            // |x| as the bits without the sign, max as ints (the same order for non-negative floats)
            IntVector m = FloatVector.fromArray(FS, in, i0).reinterpretAsInts().and(0x7FFFFFFF);
            // The fresh vector is the receiver: with the loop's running maximum as receiver, C2 bound
            // the call through a type profile and some compiles left it a call into the Java
            // fallback (perf: half of decode's serial activation quantization).
            for (int i = i0 + L; i < i0 + block; i += L) m = FloatVector.fromArray(FS, in, i).reinterpretAsInts().and(0x7FFFFFFF).max(m);
            float scale = Float.intBitsToFloat(m.reduceLanes(VectorOperators.MAX)) / 127f;
            FloatVector inv = FloatVector.broadcast(FS, scale != 0f ? 1f / scale : 0f);
            for (int i = i0; i < i0 + block; i += L) FloatVector.fromArray(FS, in, i).mul(inv).add(round).sub(round).intoArray(q, i);
            d[b] = scale;
        }
    }
}
