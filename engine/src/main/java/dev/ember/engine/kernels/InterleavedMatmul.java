package dev.ember.engine.kernels;

import static dev.ember.engine.kernels.VectorBlocks.BS;
import static dev.ember.engine.kernels.VectorBlocks.FS;
import static dev.ember.engine.kernels.VectorBlocks.IS;
import static dev.ember.engine.kernels.VectorBlocks.L;
import static dev.ember.engine.kernels.VectorBlocks.LE;

import dev.ember.engine.tensor.Dequant;
import dev.ember.engine.tensor.Interleaved;
import dev.ember.engine.tensor.TensorType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import jdk.incubator.vector.VectorOperators;

/**
 * Matmul over {@link Interleaved} weights, groups of {@link #R} = 2L rows: for each input element
 * k, one pair of vectors holds the group's R weights, and every (row, token) output has one plain
 * accumulator.
 *
 * <p><b>The one reduction order</b> ({@link Dequant#blockRow}, the scalar reference's): per block
 * of 32 input elements, {@code s = 0; s = fma(v[k], x[k], s)} for k in order, where v is the
 * stored value (Q8_0's int8, Q4_0's nibble - 8, a float type's weight), then
 * {@code acc = fma(scale, s, acc)} with the block's scale (1 for float types), and for Q4_K and
 * Q5_K {@code acc = fma(min, xs, acc)} with the block's min and the token's input sum over the
 * block ({@link #inputSums}, computed once per call and shared by every row). Q4_0 and the
 * K-quants read int8 activations ({@link ActivationQuant}): the block sum is an exact integer, multiplied by the
 * token's block scale before the fma with the weight scale, and Q4_K's input sum is the integers'
 * sum times that scale. The same for one
 * token (decode) and any batch (GEMM), for every vector width. Per output there is no horizontal
 * reduction, and a quantized weight costs one conversion and one fused multiply-add: the scale is
 * applied once per block, not once per weight.
 *
 * <p>The small part that varies per type is {@link #blockValues}: it writes 32 input elements of
 * a group as floats, element-major ({@code [k][R]}), and the block's R scales. Decode converts the
 * quantized types in registers (Q8_0 four or two groups at a time, each group from its own part
 * of the task's run so that every part is one sequential stream; Q4_0 and the K-quants in 16-bit
 * integer lanes) and the float types through L1 scratch; GEMM
 * converts a task's whole group once into an L2 panel (or, for a few tokens, one block at a time)
 * and sweeps all tokens with register tiles of R rows x 6 tokens where they fit
 * ({@link #sixTokenTiles}), then 4, then 1 for the rest ({@link #tileTokens}), reading the input
 * in {@link #tileMajor} order.
 */
final class InterleavedMatmul {
    /** Rows per interleaved group. */
    static final int R = 2 * L;
    /** Input elements per block: the unit of the scale in the reduction order. */
    static final int BLOCK = Dequant.MATMUL_BLOCK;
    /** R 16-bit lanes (one group's rows) and R bytes: Q4_0's integer decode. */
    private static final VectorSpecies<Short> SS = ShortVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(16 * R));
    private static final VectorSpecies<Byte> BR = ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(8 * R));

    private InterleavedMatmul() {}

    static boolean supports(TensorType type) {
        return Interleaved.supports(type);
    }

    // ------------------------------------------------------------------ per-type block decoders

    /** Input elements in block b of a row of k: 32, or fewer in the last block of a float type. */
    static int blockLength(int k, int b) {
        return Math.min(BLOCK, k - BLOCK * b);
    }

    /**
     * Input elements {@code [32b, 32b + blockLength(k, b))} of the group at byte {@code go} as
     * {@link Dequant#blockRow} values into {@code dst[dOff + i*R + r]}, and the block's R scales
     * into {@code sc[sOff ..]}.
     */
    static void blockValues(TensorType type, MemorySegment seg, long go, int k, int b, float[] dst, int dOff, float[] sc, int sOff,
                            float[] mn, int mOff) {
        long e0 = (long) R * BLOCK * b; // the block's first element in the group
        int count = R * blockLength(k, b);
        switch (type) {
            case Q8_0 -> q8Block(seg, go + 34L * R * b, dst, dOff, sc, sOff);
            case Q4_0 -> q4Block(seg, go + 18L * R * b, dst, dOff, sc, sOff);
            case Q4_K -> q4kBlock(seg, go + (long) Interleaved.Q4K_SB * R * (b / 8), b % 8, false, dst, dOff, sc, sOff, mn, mOff);
            case Q5_K -> q4kBlock(seg, go + (long) Interleaved.Q5K_SB * R * (b / 8), b % 8, true, dst, dOff, sc, sOff, mn, mOff);
            case Q6_K -> q6kBlock(seg, go + (long) Interleaved.Q6K_SB * R * (b / 8), b % 8, dst, dOff, sc, sOff);
            case F32 -> MemorySegment.copy(seg, Dequant.LE_FLOAT, go + 4L * e0, dst, dOff, count);
            case F16 -> VectorBlocks.halfsRow(seg, go + 2L * e0, count, dst, dOff);
            case BF16 -> VectorBlocks.bfloat16Row(seg, go + 2L * e0, count, dst, dOff);
            default -> throw new IllegalArgumentException(type + " has no interleaved layout");
        }
        if (!quantized(type)) java.util.Arrays.fill(sc, sOff, sOff + R, 1f);
    }

    private static boolean quantized(TensorType type) {
        return type.isQuantized();
    }

    /**
     * Group j of an interleaved Q4_K / Q5_K super-block at {@code sb}: values q, scales
     * {@code d * sc}, mins {@code -(dmin * m)} ({@link Dequant#blockRow}).
     */
    private static void q4kBlock(MemorySegment seg, long sb, int j, boolean five, float[] dst, int dOff, float[] sc, int sOff, float[] mn, int mOff) {
        long bo = sb + Interleaved.kBlockOffset(five ? TensorType.Q5_K : TensorType.Q4_K, R, j);
        kScalesAndMins(seg, sb, bo, sc, sOff, mn, mOff);
        long g = bo + 2L * R;
        int di = dOff;
        if (five) { // one byte per element, 0..31; one loop over the quant bytes with a long offset,
            // two vectors per step (R = 2L): with a loop over the L-wide halves inside, C2 kept a
            // range check per store (disassembly, Zen 3 VM)
            for (long o = g, end = g + 32L * R; o < end; o += R, di += R) { // long offsets: see q8DecodePair
                ((FloatVector) ByteVector.fromMemorySegment(BS, seg, o, LE).convertShape(VectorOperators.B2F, FS, 0)).intoArray(dst, di);
                ((FloatVector) ByteVector.fromMemorySegment(BS, seg, o + L, LE).convertShape(VectorOperators.B2F, FS, 0)).intoArray(dst, di + L);
            }
            return;
        }
        nibbleFloats(seg, g, 0, dst, di);
    }

    /**
     * The R scales {@code d * sc} and mins {@code -(dmin * m)} of the Q4_K / Q5_K block at
     * {@code bo} (its 6-bit sub-scales, then its mins) in the super-block at {@code sb}.
     */
    static void kScalesAndMins(MemorySegment seg, long sb, long bo, float[] sc, int sOff, float[] mn, int mOff) {
        VectorBlocks.halfsRow(seg, sb, R, sc, sOff);
        VectorBlocks.halfsRow(seg, sb + 2L * R, R, mn, mOff);
        for (int v = 0; v < R; v += L) {
            FloatVector s6 = (FloatVector) ByteVector.fromMemorySegment(BS, seg, bo + v, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0).convertShape(VectorOperators.I2F, FS, 0);
            FloatVector m6 = (FloatVector) ByteVector.fromMemorySegment(BS, seg, bo + R + v, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0).convertShape(VectorOperators.I2F, FS, 0);
            FloatVector.fromArray(FS, sc, sOff + v).mul(s6).intoArray(sc, sOff + v);
            FloatVector.fromArray(FS, mn, mOff + v).mul(m6).neg().intoArray(mn, mOff + v);
        }
    }

    /**
     * Group j of an interleaved Q6_K super-block at {@code sb}: values {@code sc * (q - 32)} (the
     * int8 {@code q - 32} times its 16-element scale: a product of small integers, exact), and
     * scales d.
     */
    private static void q6kBlock(MemorySegment seg, long sb, int j, float[] dst, int dOff, float[] sc, int sOff) {
        VectorBlocks.halfsRow(seg, sb, R, sc, sOff);
        long bo = sb + Interleaved.kBlockOffset(TensorType.Q6_K, R, j);
        for (int h = 0; h < 2; h++) { // the block's two halves of 16 elements, each with its own int8 sub-scales
            FloatVector k0 = (FloatVector) ByteVector.fromMemorySegment(BS, seg, bo + (long) h * R, LE).convertShape(VectorOperators.B2F, FS, 0);
            FloatVector k1 = (FloatVector) ByteVector.fromMemorySegment(BS, seg, bo + (long) h * R + L, LE).convertShape(VectorOperators.B2F, FS, 0);
            int di = dOff + 16 * h * R;
            for (long q = bo + 2L * R + 16L * h * R, end = q + 16L * R; q < end; q += R, di += R) { // long offsets: see q8DecodePair
                ((FloatVector) ByteVector.fromMemorySegment(BS, seg, q, LE).convertShape(VectorOperators.B2F, FS, 0)).mul(k0).intoArray(dst, di);
                ((FloatVector) ByteVector.fromMemorySegment(BS, seg, q + L, LE).convertShape(VectorOperators.B2F, FS, 0)).mul(k1).intoArray(dst, di + L);
            }
        }
    }

    private static void q8Block(MemorySegment seg, long blk, float[] dst, int dOff, float[] sc, int sOff) {
        VectorBlocks.halfsRow(seg, blk, R, sc, sOff);
        int di = dOff;
        for (long o = blk + 2L * R, end = o + (long) BLOCK * R; o < end; o += R, di += R) { // long offsets: see q8DecodePair
            ((FloatVector) ByteVector.fromMemorySegment(BS, seg, o, LE).convertShape(VectorOperators.B2F, FS, 0)).intoArray(dst, di);
            ((FloatVector) ByteVector.fromMemorySegment(BS, seg, o + L, LE).convertShape(VectorOperators.B2F, FS, 0)).intoArray(dst, di + L);
        }
    }

    private static void q4Block(MemorySegment seg, long blk, float[] dst, int dOff, float[] sc, int sOff) {
        VectorBlocks.halfsRow(seg, blk, R, sc, sOff);
        nibbleFloats(seg, blk + 2L * R, 8, dst, dOff);
    }

    /**
     * The 32 elements of the interleaved nibbles at {@code quants} ({@link Interleaved#nibbleBit}),
     * less {@code offset}, as floats into {@code dst[dOff + e*R + r]}: per eight elements, two
     * vectors of words (the two halves of the rows), and element 2t and 2t + 1 of each are the
     * nibbles at bits 4t and 16 + 4t.
     */
    private static void nibbleFloats(MemorySegment seg, long quants, int offset, float[] dst, int dOff) {
        int di = dOff;
        for (long o = quants, end = quants + 16L * R; o < end; o += 4L * R, di += 8 * R) { // long offsets: see q8DecodePair
            IntVector c0 = IntVector.fromMemorySegment(IS, seg, o, LE), c1 = IntVector.fromMemorySegment(IS, seg, o + 2L * R, LE);
            for (int t = 0; t < 4; t++) {
                int e = di + 2 * t * R;
                nibbleLanes(c0, 4 * t, offset).intoArray(dst, e);
                nibbleLanes(c1, 4 * t, offset).intoArray(dst, e + L);
                nibbleLanes(c0, 16 + 4 * t, offset).intoArray(dst, e + R);
                nibbleLanes(c1, 16 + 4 * t, offset).intoArray(dst, e + R + L);
            }
        }
    }

    private static FloatVector nibbleLanes(IntVector words, int shift, int offset) {
        return (FloatVector) words.lanewise(VectorOperators.LSHR, shift).and(0xF).sub(offset).convert(VectorOperators.I2F, 0);
    }

    // ------------------------------------------------------------------ decode (one token)

    /**
     * Whether decode reads a run of this type's groups as several sequential streams at once (see
     * {@link #decode}): Q8_0, as four or two. The types in 16-bit integer lanes and the float types
     * read one.
     */
    static boolean decodesInStreams(TensorType type) {
        return type == TensorType.Q8_0;
    }

    /**
     * Groups [g0, g1) for one token {@code x[x0 .. x0 + k)} (or its int8 blocks {@code q}) into
     * {@code out[o + row]}; {@code wide}: Q8_0 may read four streams ({@link VectorBlocks#WIDE_REGISTER_FILE}).
     */
    static void decode(TensorType type, MemorySegment seg, int k, int n, float[] x, int x0, float[] xs, ActivationQuant q,
                       float[] out, int o, int g0, int g1, boolean wide, VectorKernels.Scratch s) {
        long gb = Interleaved.groupBytes(type, R, k);
        float[] blk = s.block(R * BLOCK);
        float[] acc = s.tile;
        float[] sc = s.scales, mn = s.mins;
        int g = g0;
        if (type == TensorType.Q4_0 || type == TensorType.Q4_K) {
            for (; g < g1; g++) {
                nibbleDecodeGroup(type == TensorType.Q4_K, seg, gb * g, k, q.pairs, q.scales, q.sums, xs, acc, sc, mn);
                copyOut(acc, 1, out, o, n, g * R);
            }
        }
        if (type == TensorType.Q6_K || type == TensorType.Q5_K) {
            boolean five = type == TensorType.Q5_K;
            if (wide) { // two streams, as Q8_0's (sixteen accumulators and loads: a 32-register file only)
                int part = (g1 - g) / 2;
                for (int i = 0; i < part; i++) {
                    int ga = g + i, gc = ga + part;
                    byteDecodePair(five, seg, gb * ga, gb * gc, k, q.shorts, q.scales, xs, acc, sc, mn, s.blockSums);
                    copyOutEvenOdd(acc, 0, out, o, n, ga * R);
                    copyOutEvenOdd(acc, R, out, o, n, gc * R);
                }
                g += 2 * part;
            }
            for (; g < g1; g++) {
                byteDecodeGroup(five, seg, gb * g, k, q.shorts, q.scales, xs, acc, sc, mn, s.blockSums);
                copyOutEvenOdd(acc, 0, out, o, n, g * R);
            }
        }
        // A run of groups is read as several sequential streams, one per equal part of the run,
        // advanced in lockstep. Taking groups in order gives streams one group apart that restart
        // at every group; on this VM a core then streams far below its bandwidth (KernelBench,
        // Q8_0 decode, one thread: 20-22 GB/s in order, 30-31 GB/s as four parts).
        if (type == TensorType.Q8_0 && wide) { // sixteen accumulators: a 32-register file only
            int part = (g1 - g) / 4;
            for (int i = 0; i < part; i++) {
                int ga = g + i;
                q8DecodeQuad(seg, gb * ga, gb * part, k, x, x0, acc, sc);
                for (int j = 0; j < 4; j++) copyOutGroup(acc, j, out, o, n, (ga + j * part) * R);
            }
            g += 4 * part;
        }
        if (decodesInStreams(type)) {
            int part = (g1 - g) / 2;
            for (int i = 0; i < part; i++) {
                int ga = g + i, gc = ga + part;
                q8DecodePair(seg, gb * ga, gb * gc, k, x, x0, acc, sc);
                copyOutGroup(acc, 0, out, o, n, ga * R);
                copyOutGroup(acc, 1, out, o, n, gc * R);
            }
            g += 2 * part;
        }
        // The rest: the float types and Q8_0's groups left over from the streams. None of them has
        // int8 activations or mins (the types that do took the integer kernels above).
        for (; g < g1; g++) {
            FloatVector a0 = FloatVector.zero(FS), a1 = a0;
            for (int b = 0, nb = (k + BLOCK - 1) / BLOCK; b < nb; b++) {
                blockValues(type, seg, gb * g, k, b, blk, 0, sc, 0, mn, 0);
                int xb = x0 + BLOCK * b;
                FloatVector s0 = FloatVector.zero(FS), s1 = s0;
                for (int i = 0, len = blockLength(k, b); i < len; i++) {
                    FloatVector t = FloatVector.broadcast(FS, x[xb + i]);
                    s0 = FloatVector.fromArray(FS, blk, i * R).fma(t, s0);
                    s1 = FloatVector.fromArray(FS, blk, i * R + L).fma(t, s1);
                }
                a0 = FloatVector.fromArray(FS, sc, 0).fma(s0, a0);
                a1 = FloatVector.fromArray(FS, sc, L).fma(s1, a1);
            }
            a0.intoArray(acc, 0);
            a1.intoArray(acc, L);
            copyOut(acc, 1, out, o, n, g * R);
        }
    }

    /**
     * Four groups of Q8_0, {@code stride} bytes apart (eight block-sum chains), as
     * {@link #q8DecodePair}; group j's outputs go to {@code acc[jR .. (j + 1)R)}.
     */
    private static void q8DecodeQuad(MemorySegment seg, long ga, long stride, int k, float[] x, int x0, float[] acc, float[] sc) {
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
        for (int b = 0, nb = k / BLOCK; b < nb; b++) {
            long pa = ga + 34L * R * b;
            VectorBlocks.halfsRow(seg, pa, R, sc, 0);
            VectorBlocks.halfsRow(seg, pa + stride, R, sc, R);
            VectorBlocks.halfsRow(seg, pa + 2 * stride, R, sc, 2 * R);
            VectorBlocks.halfsRow(seg, pa + 3 * stride, R, sc, 3 * R);
            long qa = pa + 2L * R;
            FloatVector sa0 = FloatVector.zero(FS), sa1 = sa0, sb0 = sa0, sb1 = sa0, sc0 = sa0, sc1 = sa0, sd0 = sa0, sd1 = sa0;
            int xi = x0 + BLOCK * b;
            for (long oa = qa, end = qa + (long) BLOCK * R; oa < end; oa += R, xi++) {
                FloatVector t = FloatVector.broadcast(FS, x[xi]);
                long ob = oa + stride, oc = ob + stride, od = oc + stride;
                sa0 = ((FloatVector) ByteVector.fromMemorySegment(BS, seg, oa, LE).convertShape(VectorOperators.B2F, FS, 0)).fma(t, sa0);
                sa1 = ((FloatVector) ByteVector.fromMemorySegment(BS, seg, oa + L, LE).convertShape(VectorOperators.B2F, FS, 0)).fma(t, sa1);
                sb0 = ((FloatVector) ByteVector.fromMemorySegment(BS, seg, ob, LE).convertShape(VectorOperators.B2F, FS, 0)).fma(t, sb0);
                sb1 = ((FloatVector) ByteVector.fromMemorySegment(BS, seg, ob + L, LE).convertShape(VectorOperators.B2F, FS, 0)).fma(t, sb1);
                sc0 = ((FloatVector) ByteVector.fromMemorySegment(BS, seg, oc, LE).convertShape(VectorOperators.B2F, FS, 0)).fma(t, sc0);
                sc1 = ((FloatVector) ByteVector.fromMemorySegment(BS, seg, oc + L, LE).convertShape(VectorOperators.B2F, FS, 0)).fma(t, sc1);
                sd0 = ((FloatVector) ByteVector.fromMemorySegment(BS, seg, od, LE).convertShape(VectorOperators.B2F, FS, 0)).fma(t, sd0);
                sd1 = ((FloatVector) ByteVector.fromMemorySegment(BS, seg, od + L, LE).convertShape(VectorOperators.B2F, FS, 0)).fma(t, sd1);
            }
            a0 = FloatVector.fromArray(FS, sc, 0).fma(sa0, a0);
            a1 = FloatVector.fromArray(FS, sc, L).fma(sa1, a1);
            b0 = FloatVector.fromArray(FS, sc, R).fma(sb0, b0);
            b1 = FloatVector.fromArray(FS, sc, R + L).fma(sb1, b1);
            c0 = FloatVector.fromArray(FS, sc, 2 * R).fma(sc0, c0);
            c1 = FloatVector.fromArray(FS, sc, 2 * R + L).fma(sc1, c1);
            d0 = FloatVector.fromArray(FS, sc, 3 * R).fma(sd0, d0);
            d1 = FloatVector.fromArray(FS, sc, 3 * R + L).fma(sd1, d1);
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
        b0.intoArray(acc, R);
        b1.intoArray(acc, R + L);
        c0.intoArray(acc, 2 * R);
        c1.intoArray(acc, 2 * R + L);
        d0.intoArray(acc, 3 * R);
        d1.intoArray(acc, 3 * R + L);
    }

    /**
     * Two groups (four block-sum chains, enough to hide the FMA latency of one token) of Q8_0,
     * converted in registers: {@code s = fma(q, x, s)} over a block, then
     * {@code acc = fma(d, s, acc)}. Group a's outputs go to {@code acc[0 .. R)}, group b's to
     * {@code acc[R .. 2R)}.
     */
    private static void q8DecodePair(MemorySegment seg, long ga, long gbo, int k, float[] x, int x0, float[] acc, float[] sc) {
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, b0 = a0, b1 = a0;
        for (int b = 0, nb = k / BLOCK; b < nb; b++) {
            long pa = ga + 34L * R * b, pb = gbo + 34L * R * b;
            VectorBlocks.halfsRow(seg, pa, R, sc, 0);
            VectorBlocks.halfsRow(seg, pb, R, sc, R);
            long qa = pa + 2L * R;
            long d = pb - pa;
            FloatVector sa0 = FloatVector.zero(FS), sa1 = sa0, sb0 = sa0, sb1 = sa0;
            int xi = x0 + BLOCK * b;
            // A long loop variable that is the load offset itself: C2 then hoists the segment
            // bounds checks (with an int index scaled into a long offset it kept about ten
            // instructions of checks per load, which made decode compute-bound).
            for (long oa = qa, end = qa + (long) BLOCK * R; oa < end; oa += R, xi++) {
                FloatVector t = FloatVector.broadcast(FS, x[xi]);
                long ob = oa + d;
                sa0 = ((FloatVector) ByteVector.fromMemorySegment(BS, seg, oa, LE).convertShape(VectorOperators.B2F, FS, 0)).fma(t, sa0);
                sa1 = ((FloatVector) ByteVector.fromMemorySegment(BS, seg, oa + L, LE).convertShape(VectorOperators.B2F, FS, 0)).fma(t, sa1);
                sb0 = ((FloatVector) ByteVector.fromMemorySegment(BS, seg, ob, LE).convertShape(VectorOperators.B2F, FS, 0)).fma(t, sb0);
                sb1 = ((FloatVector) ByteVector.fromMemorySegment(BS, seg, ob + L, LE).convertShape(VectorOperators.B2F, FS, 0)).fma(t, sb1);
            }
            a0 = FloatVector.fromArray(FS, sc, 0).fma(sa0, a0);
            a1 = FloatVector.fromArray(FS, sc, L).fma(sa1, a1);
            b0 = FloatVector.fromArray(FS, sc, R).fma(sb0, b0);
            b1 = FloatVector.fromArray(FS, sc, R + L).fma(sb1, b1);
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
        b0.intoArray(acc, R);
        b1.intoArray(acc, R + L);
    }

    /**
     * One group of Q4_0 or Q4_K against int8 activations ({@link ActivationQuant}), in 16-bit
     * integer lanes. The nibbles' layout ({@link Interleaved#nibbleBit}) puts a row's elements 2t
     * and 2t + 1 in the two 16-bit halves of one 32-bit lane after a shift and a mask, so one
     * multiply by the broadcast pair {@code x[2t], x[2t + 1]} ({@link ActivationQuant#pairs})
     * forms both products, rows in order. Per block, each lane sums 16 products
     * {@code nibble · q} (at most 16 · 15 · 127 = 30,480 in magnitude: no overflow), and a row's
     * exact integer sum is its two halves added: {@code lo + hi} (Q4_K's unsigned quants) or
     * {@code lo + hi - 8 · Σq} (Q4_0's {@code nibble - 8}); then
     * {@code acc = fma(scale, s * xd, acc)}, and for Q4_K {@code acc = fma(min, xs, acc)}. Per 2R
     * weights, a shift, a mask, a multiply and an add, and Q4_0's offset costs nothing per weight.
     * The layout before this one held a row's element pair in one byte: it needed a widening
     * shuffle per R bytes and a 16-bit broadcast (two micro-ops, one a shuffle) per element, and
     * ran about 15 % slower (a single-thread prototype streaming 38 MB of Q4_0, Zen 3 VM: best
     * 3.35 against 2.85 ms per pass, same bits). One group per pass, not two: on this VM one
     * sequential stream per core reads faster than two streams a group apart.
     */
    private static void nibbleDecodeGroup(boolean kQuant, MemorySegment seg, long ga, int k, int[] xp, float[] xd, int[] xqSums,
                                          float[] xs, float[] acc, float[] sc, float[] mn) {
        FloatVector a0 = FloatVector.zero(FS), a1 = a0;
        long sbBytes = (long) Interleaved.Q4K_SB * R;
        // Block j of a super-block starts at head + j·step: taken out of the loop, because C2 left
        // the call there and the vector registers were spilled around it (perf, Zen 3 VM).
        long head = Interleaved.kBlockOffset(TensorType.Q4_K, R, 0), step = Interleaved.kBlockOffset(TensorType.Q4_K, R, 1) - head;
        for (int b = 0, nb = k / BLOCK; b < nb; b++) {
            long qa; // the block's first quant byte
            if (kQuant) { // super-block: d[R], dmin[R], then per block j sub-scales[R], mins[R], quants
                int j = b & 7;
                long pa = ga + sbBytes * (b >> 3);
                if (j == 0) {
                    VectorBlocks.halfsRow(seg, pa, R, sc, 0);
                    VectorBlocks.halfsRow(seg, pa + 2L * R, R, mn, 0);
                }
                qa = pa + head + step * j + 2L * R;
            } else { // block: d[R], then quants
                long pa = ga + 18L * R * b;
                VectorBlocks.halfsRow(seg, pa, R, sc, 0);
                qa = pa + 2L * R;
            }
            // s0, s1: rows [0, L); s2, s3: rows [L, R); two chains each, as the shifts alternate
            ShortVector s0 = ShortVector.zero(SS), s1 = s0, s2 = s0, s3 = s0;
            int xi = BLOCK / 2 * b;
            for (long o = qa, end = qa + 16L * R; o < end; o += 4L * R, xi += 4) { // eight elements; long offsets: see q8DecodePair
                IntVector c0 = IntVector.fromMemorySegment(IS, seg, o, LE), c1 = IntVector.fromMemorySegment(IS, seg, o + 2L * R, LE);
                ShortVector x0 = IntVector.broadcast(IS, xp[xi]).reinterpretAsShorts();
                ShortVector x1 = IntVector.broadcast(IS, xp[xi + 1]).reinterpretAsShorts();
                ShortVector x2 = IntVector.broadcast(IS, xp[xi + 2]).reinterpretAsShorts();
                ShortVector x3 = IntVector.broadcast(IS, xp[xi + 3]).reinterpretAsShorts();
                s0 = c0.and(0x000F000F).reinterpretAsShorts().mul(x0).add(s0);
                s1 = c0.lanewise(VectorOperators.LSHR, 4).and(0x000F000F).reinterpretAsShorts().mul(x1).add(s1);
                s0 = c0.lanewise(VectorOperators.LSHR, 8).and(0x000F000F).reinterpretAsShorts().mul(x2).add(s0);
                s1 = c0.lanewise(VectorOperators.LSHR, 12).and(0x000F000F).reinterpretAsShorts().mul(x3).add(s1);
                s2 = c1.and(0x000F000F).reinterpretAsShorts().mul(x0).add(s2);
                s3 = c1.lanewise(VectorOperators.LSHR, 4).and(0x000F000F).reinterpretAsShorts().mul(x1).add(s3);
                s2 = c1.lanewise(VectorOperators.LSHR, 8).and(0x000F000F).reinterpretAsShorts().mul(x2).add(s2);
                s3 = c1.lanewise(VectorOperators.LSHR, 12).and(0x000F000F).reinterpretAsShorts().mul(x3).add(s3);
            }
            IntVector p = (IntVector) s0.add(s1).reinterpretAsInts(), q = (IntVector) s2.add(s3).reinterpretAsInts();
            // lo + hi (- 8·Σq) per row, exact integers below 2^24: the same floats as summing converted halves
            IntVector r0 = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.ASHR, 16));
            IntVector r1 = q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(q.lanewise(VectorOperators.ASHR, 16));
            if (!kQuant) {
                IntVector off = IntVector.broadcast(IS, 8 * xqSums[b]);
                r0 = r0.sub(off);
                r1 = r1.sub(off);
            }
            FloatVector u = FloatVector.broadcast(FS, xd[b]);
            FloatVector t0 = ((FloatVector) r0.convert(VectorOperators.I2F, 0)).mul(u);
            FloatVector t1 = ((FloatVector) r1.convert(VectorOperators.I2F, 0)).mul(u);
            if (kQuant) { // scale d · sc and min -(dmin · m), as blockValues forms them
                // written out, not a helper: C2 did not inline one here (node count), and boxed its result
                FloatVector sc0 = (FloatVector) ByteVector.fromMemorySegment(BS, seg, qa - 2L * R, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0).convertShape(VectorOperators.I2F, FS, 0);
                FloatVector sc1 = (FloatVector) ByteVector.fromMemorySegment(BS, seg, qa - 2L * R + L, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0).convertShape(VectorOperators.I2F, FS, 0);
                FloatVector m0 = (FloatVector) ByteVector.fromMemorySegment(BS, seg, qa - R, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0).convertShape(VectorOperators.I2F, FS, 0);
                FloatVector m1 = (FloatVector) ByteVector.fromMemorySegment(BS, seg, qa - R + L, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0).convertShape(VectorOperators.I2F, FS, 0);
                a0 = FloatVector.fromArray(FS, sc, 0).mul(sc0).fma(t0, a0);
                a1 = FloatVector.fromArray(FS, sc, L).mul(sc1).fma(t1, a1);
                FloatVector v = FloatVector.broadcast(FS, xs[b]);
                a0 = FloatVector.fromArray(FS, mn, 0).mul(m0).neg().fma(v, a0);
                a1 = FloatVector.fromArray(FS, mn, L).mul(m1).neg().fma(v, a1);
            } else {
                a0 = FloatVector.fromArray(FS, sc, 0).fma(t0, a0);
                a1 = FloatVector.fromArray(FS, sc, L).fma(t1, a1);
            }
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
    }

    /**
     * One group of Q6_K or Q5_K (their quants unpacked to one byte each) against int8 activations
     * ({@link ActivationQuant}), in 16-bit integer lanes, into {@code acc[0 .. R)} (even rows, then
     * odd). Per block, each row's products {@code v · x} (Q6_K's {@code q - 32}, at most
     * 32 · 127 = 4,064 in magnitude; Q5_K's q, at most 31 · 127 = 3,937) are summed eight to a lane
     * (at most 32,512: no overflow), four lanes per row, and {@link #foldByteBlock} adds them to the
     * row's running sum. The float form spent a conversion, a multiply by the sub-scale (Q6_K) and
     * an FMA per weight; this spends a multiply and an add per R weights.
     */
    private static void byteDecodeGroup(boolean five, MemorySegment seg, long ga, int k, short[] xq, float[] xd, float[] xs,
                                        float[] acc, float[] sc, float[] mn, short[] sums) {
        java.util.Arrays.fill(acc, 0, R, 0f);
        long sbBytes = (long) (five ? Interleaved.Q5K_SB : Interleaved.Q6K_SB) * R;
        long head = byteBlockHead(five), step = byteBlockStep(five);
        for (int b = 0, nb = k / BLOCK; b < nb; b++) {
            int j = b & 7;
            long pa = ga + sbBytes * (b >> 3);
            if (j == 0) superBlockScales(five, seg, pa, sc, mn, 0);
            long at = pa + head + step * j; // two rows of R scale bytes (Q6_K: sub-scales; Q5_K: sub-scale, min), then 32 rows of R quants
            // Elements 0-15 (p: even, p2: odd), then 16-31 (p3, p4): Q6_K's two sub-scales apart, at
            // most eight products per lane, and the rows read in order (reading both halves at once,
            // two streams 512 bytes apart, a core streamed at half of Q8_0's rate). Q5_K's bytes
            // 0..31 read the same sign-extended as zero-extended.
            ShortVector p = ShortVector.zero(SS), p2 = p, p3 = p, p4 = p;
            int xi = BLOCK * b;
            for (long oa = at + 2L * R, end = oa + 16L * R; oa < end; oa += 2 * R, xi += 2) { // see q8DecodePair
                p = ((ShortVector) ByteVector.fromMemorySegment(BR, seg, oa, LE).convertShape(VectorOperators.B2S, SS, 0)).mul(ShortVector.broadcast(SS, xq[xi])).add(p);
                p2 = ((ShortVector) ByteVector.fromMemorySegment(BR, seg, oa + R, LE).convertShape(VectorOperators.B2S, SS, 0)).mul(ShortVector.broadcast(SS, xq[xi + 1])).add(p2);
            }
            for (long oa = at + 18L * R, end = oa + 16L * R; oa < end; oa += 2 * R, xi += 2) {
                p3 = ((ShortVector) ByteVector.fromMemorySegment(BR, seg, oa, LE).convertShape(VectorOperators.B2S, SS, 0)).mul(ShortVector.broadcast(SS, xq[xi])).add(p3);
                p4 = ((ShortVector) ByteVector.fromMemorySegment(BR, seg, oa + R, LE).convertShape(VectorOperators.B2S, SS, 0)).mul(ShortVector.broadcast(SS, xq[xi + 1])).add(p4);
            }
            p.intoArray(sums, 0); p2.intoArray(sums, R); p3.intoArray(sums, 2 * R); p4.intoArray(sums, 3 * R);
            foldByteBlock(five, seg, at, sums, 0, xd[b], xs == null ? 0f : xs[b], sc, mn, 0, acc, 0);
        }
    }

    /**
     * {@link #byteDecodeGroup} for two groups at once, read as two sequential streams in lockstep
     * (as {@link #q8DecodePair}: one group after another, a core streamed Q5_K at 12.6 GB/s and
     * Q6_K at 14.2 against Q8_0's 30 in four streams; KernelBench decode, one thread, Zen 5). The
     * activation broadcasts serve both groups; each group's block folds exactly as alone, so the
     * bits are the one-group path's. Group a's outputs go to {@code acc[0 .. R)}, group b's to
     * {@code acc[R .. 2R)} (even/odd order); needs 32 vector registers.
     */
    private static void byteDecodePair(boolean five, MemorySegment seg, long ga, long gbo, int k, short[] xq, float[] xd, float[] xs,
                                       float[] acc, float[] sc, float[] mn, short[] sums) {
        java.util.Arrays.fill(acc, 0, 2 * R, 0f);
        long sbBytes = (long) (five ? Interleaved.Q5K_SB : Interleaved.Q6K_SB) * R;
        long head = byteBlockHead(five), step = byteBlockStep(five);
        for (int b = 0, nb = k / BLOCK; b < nb; b++) {
            int j = b & 7;
            long pa = ga + sbBytes * (b >> 3), pb = gbo + sbBytes * (b >> 3);
            if (j == 0) {
                superBlockScales(five, seg, pa, sc, mn, 0);
                superBlockScales(five, seg, pb, sc, mn, R);
            }
            long at = pa + head + step * j, bt = pb + head + step * j;
            ShortVector p = ShortVector.zero(SS), p2 = p, p3 = p, p4 = p, q = p, q2 = p, q3 = p, q4 = p;
            int xi = BLOCK * b;
            for (long oa = at + 2L * R, ob = bt + 2L * R, end = oa + 16L * R; oa < end; oa += 2 * R, ob += 2 * R, xi += 2) { // as byteDecodeGroup
                ShortVector x0 = ShortVector.broadcast(SS, xq[xi]), x1 = ShortVector.broadcast(SS, xq[xi + 1]);
                p = ((ShortVector) ByteVector.fromMemorySegment(BR, seg, oa, LE).convertShape(VectorOperators.B2S, SS, 0)).mul(x0).add(p);
                q = ((ShortVector) ByteVector.fromMemorySegment(BR, seg, ob, LE).convertShape(VectorOperators.B2S, SS, 0)).mul(x0).add(q);
                p2 = ((ShortVector) ByteVector.fromMemorySegment(BR, seg, oa + R, LE).convertShape(VectorOperators.B2S, SS, 0)).mul(x1).add(p2);
                q2 = ((ShortVector) ByteVector.fromMemorySegment(BR, seg, ob + R, LE).convertShape(VectorOperators.B2S, SS, 0)).mul(x1).add(q2);
            }
            for (long oa = at + 18L * R, ob = bt + 18L * R, end = oa + 16L * R; oa < end; oa += 2 * R, ob += 2 * R, xi += 2) {
                ShortVector x0 = ShortVector.broadcast(SS, xq[xi]), x1 = ShortVector.broadcast(SS, xq[xi + 1]);
                p3 = ((ShortVector) ByteVector.fromMemorySegment(BR, seg, oa, LE).convertShape(VectorOperators.B2S, SS, 0)).mul(x0).add(p3);
                q3 = ((ShortVector) ByteVector.fromMemorySegment(BR, seg, ob, LE).convertShape(VectorOperators.B2S, SS, 0)).mul(x0).add(q3);
                p4 = ((ShortVector) ByteVector.fromMemorySegment(BR, seg, oa + R, LE).convertShape(VectorOperators.B2S, SS, 0)).mul(x1).add(p4);
                q4 = ((ShortVector) ByteVector.fromMemorySegment(BR, seg, ob + R, LE).convertShape(VectorOperators.B2S, SS, 0)).mul(x1).add(q4);
            }
            p.intoArray(sums, 0); p2.intoArray(sums, R); p3.intoArray(sums, 2 * R); p4.intoArray(sums, 3 * R);
            q.intoArray(sums, 4 * R); q2.intoArray(sums, 5 * R); q3.intoArray(sums, 6 * R); q4.intoArray(sums, 7 * R);
            float u = xd[b], v = xs == null ? 0f : xs[b];
            foldByteBlock(five, seg, at, sums, 0, u, v, sc, mn, 0, acc, 0);
            foldByteBlock(five, seg, bt, sums, 4 * R, u, v, sc, mn, R, acc, R);
        }
    }

    private static long byteBlockHead(boolean five) {
        return Interleaved.kBlockOffset(five ? TensorType.Q5_K : TensorType.Q6_K, R, 0);
    }

    private static long byteBlockStep(boolean five) { // see nibbleDecodeGroup
        TensorType type = five ? TensorType.Q5_K : TensorType.Q6_K;
        return Interleaved.kBlockOffset(type, R, 1) - Interleaved.kBlockOffset(type, R, 0);
    }

    /** A super-block's R scales d (and Q5_K's R mins dmin), even/odd order, into {@code sc[off ..]} and {@code mn[off ..]}. */
    private static void superBlockScales(boolean five, MemorySegment seg, long sb, float[] sc, float[] mn, int off) {
        VectorBlocks.halfsEvenOdd(seg, sb, sc, off);
        if (five) VectorBlocks.halfsEvenOdd(seg, sb + 2L * R, mn, off);
    }

    /**
     * One block of one group into its running sums {@code acc[accOff ..]} (even rows, then odd):
     * the four 16-bit partial sums per row at {@code sums[sumsOff ..]} ({@link #byteDecodeGroup})
     * leave the lanes as ints (even rows and odd rows apart, as in {@link #nibbleDecodeGroup});
     * Q6_K multiplies the two 16-element halves by their int8 sub-scales as ints, and the block's
     * exact integer sum (at most 32 · 4,096 · 127 < 2^24) becomes {@code acc = fma(d, s * xd, acc)}.
     * Q5_K adds the four, then {@code acc = fma(d · sc, s * xd, acc)} and
     * {@code acc = fma(-(dmin · m), xs, acc)} as Q4_K.
     */
    private static void foldByteBlock(boolean five, MemorySegment seg, long at, short[] sums, int sumsOff, float xd, float xs,
                                      float[] sc, float[] mn, int scOff, float[] acc, int accOff) {
        IntVector even = IntVector.zero(IS), odd = even;
        for (int h = 0; h < 2; h++) {
            IntVector pi = (IntVector) ShortVector.fromArray(SS, sums, sumsOff + 2 * h * R).reinterpretAsInts();
            IntVector p2i = (IntVector) ShortVector.fromArray(SS, sums, sumsOff + (2 * h + 1) * R).reinterpretAsInts();
            IntVector e = pi.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p2i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
            IntVector o = pi.lanewise(VectorOperators.ASHR, 16).add(p2i.lanewise(VectorOperators.ASHR, 16));
            if (!five) {
                IntVector scale = (IntVector) ByteVector.fromMemorySegment(BR, seg, at + (long) h * R, LE).convertShape(VectorOperators.B2S, SS, 0).reinterpretAsInts();
                e = e.mul(scale.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                o = o.mul(scale.lanewise(VectorOperators.ASHR, 16));
            }
            even = e.add(even);
            odd = o.add(odd);
        }
        FloatVector u = FloatVector.broadcast(FS, xd);
        FloatVector te = ((FloatVector) even.convert(VectorOperators.I2F, 0)).mul(u);
        FloatVector to = ((FloatVector) odd.convert(VectorOperators.I2F, 0)).mul(u);
        FloatVector a0 = FloatVector.fromArray(FS, acc, accOff), a1 = FloatVector.fromArray(FS, acc, accOff + L);
        if (five) { // scale d · sc and min -(dmin · m), as blockValues forms them, in even/odd order
            IntVector s6 = (IntVector) ByteVector.fromMemorySegment(BR, seg, at, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, SS, 0).reinterpretAsInts();
            IntVector m6 = (IntVector) ByteVector.fromMemorySegment(BR, seg, at + R, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, SS, 0).reinterpretAsInts();
            a0 = FloatVector.fromArray(FS, sc, scOff).mul((FloatVector) s6.and(0xFFFF).convert(VectorOperators.I2F, 0)).fma(te, a0);
            a1 = FloatVector.fromArray(FS, sc, scOff + L).mul((FloatVector) s6.lanewise(VectorOperators.LSHR, 16).convert(VectorOperators.I2F, 0)).fma(to, a1);
            FloatVector v = FloatVector.broadcast(FS, xs);
            a0 = FloatVector.fromArray(FS, mn, scOff).mul((FloatVector) m6.and(0xFFFF).convert(VectorOperators.I2F, 0)).neg().fma(v, a0);
            a1 = FloatVector.fromArray(FS, mn, scOff + L).mul((FloatVector) m6.lanewise(VectorOperators.LSHR, 16).convert(VectorOperators.I2F, 0)).neg().fma(v, a1);
        } else {
            a0 = FloatVector.fromArray(FS, sc, scOff).fma(te, a0);
            a1 = FloatVector.fromArray(FS, sc, scOff + L).fma(to, a1);
        }
        a0.intoArray(acc, accOff);
        a1.intoArray(acc, accOff + L);
    }

    /**
     * Copies {@code tokens} tokens' R outputs from {@code tmp} (token t at {@code t*R}) to
     * {@code out[o + t*n + j0 ..]}, leaving out the padding rows past n. The tiles store their
     * accumulators to an array first, never pass vectors to a call: a vector argument of a call
     * C2 does not inline is boxed, and C2 then boxed inside the hot loop.
     */
    static void copyOut(float[] tmp, int tokens, float[] out, int o, int n, int j0) {
        int len = Math.min(R, n - j0);
        for (int t = 0; t < tokens; t++) System.arraycopy(tmp, t * R, out, o + t * n + j0, len);
    }

    /** One token's outputs of one group from {@code tmp[jR ..]}. */
    private static void copyOutGroup(float[] tmp, int j, float[] out, int o, int n, int j0) {
        int len = Math.min(R, n - j0);
        if (len > 0) System.arraycopy(tmp, j * R, out, o + j0, len);
    }

    /** One token's outputs of one group from {@code tmp}, which holds its even rows, then its odd rows ({@link #nibbleDecodeGroup}). */
    private static void copyOutEvenOdd(float[] tmp, int from, float[] out, int o, int n, int j0) {
        int len = Math.min(R, n - j0);
        for (int j = 0; j < len; j++) out[o + j0 + j] = tmp[from + (j & 1) * L + (j >> 1)];
    }

    // ------------------------------------------------------------------ GEMM (several tokens)

    /**
     * Up to this many tokens, GEMM goes block by block ({@link #gemmByBlock}); above, through a
     * whole-group panel. Set by {@code -Dember.kernels.blockGemmRows} (0 turns it off). Measured
     * with `ember bench --scenario decode-batch` (qwen3-0.6b Q8_0, three alternating rounds):
     * B=8 69-82 -> 87-110 tok/s, B=32 110-142 -> 141-150.
     */
    static final int BLOCK_GEMM_ROWS = Integer.getInteger("ember.kernels.blockGemmRows", 64);

    /**
     * Whether a GEMM of {@code rows} tokens sweeps six-token tiles first ({@link #tileMajor},
     * {@link #gemm} and {@link #gemmByBlock} must agree). With 32 vector registers always. With
     * 16 (AVX2) only in the panel form over float input ({@code int8Input} false: Q8_0 and the
     * float types): there the twelve accumulators fit and give the FMA pipes the independent
     * chains that four-token tiles (eight, one FMA latency of two pipes) lack; KernelBench
     * rows=512 on Zen 3, Q8_0 59-62 -> 79-81 GFLOP/s, F16 60 -> 74-78. Not over int8 input: once
     * C2 has compiled the tile for both inputs (a model mixing Q6_K with Q5_K or Q8_0) it spills
     * an accumulator there (Q6_K after Q8_0: 30 GFLOP/s, four-token tiles 71). Nor in the
     * block-by-block form, where C2 hoists the six broadcasts and spills one (38 GFLOP/s).
     */
    static boolean sixTokenTiles(int rows, boolean wide, boolean int8Input) {
        return wide || (rows > BLOCK_GEMM_ROWS && !int8Input);
    }

    /**
     * The GEMM's input in the order its tiles read it: a tile of T tokens starting at token t
     * ({@link #tileTokens}) finds its input elements i at {@code dst[t*k + i*T + j]} for token
     * t + j, the same index range the row-major input gives those tokens. So a tile's T
     * broadcasts per input element are one address plus constant offsets: with the row-major form
     * each needed its own address arithmetic, and the loop's instructions outnumbered what the
     * FMA pipes could absorb.
     */
    static void tileMajor(float[] in, int rows, int k, boolean six, float[] dst) {
        for (int t = 0, tokens; t < rows; t += tokens) {
            tokens = tileTokens(rows - t, six);
            interleaveTokens(in, t, tokens, k, dst); // a one-token tile reads its row as it is
        }
    }

    /**
     * The token count of the next tile when {@code left} tokens remain: six where {@code six}
     * (but two fours for the last eight, not a six and two ones), else four, else one.
     * {@link #tileMajor}, {@link #gemm} and {@link #gemmByBlock} all sweep by it, so the input's
     * order and the tiles agree.
     */
    static int tileTokens(int left, boolean six) {
        if (six && left >= 6 && left != 8) return 6;
        return left >= 4 ? 4 : 1;
    }

    private static void interleaveTokens(float[] in, int t, int tokens, int k, float[] dst) {
        int base = t * k;
        for (int j = 0; j < tokens; j++) {
            for (int i = 0, src = base + j * k, d = base + j; i < k; i++, d += tokens) dst[d] = in[src + i];
        }
    }

    /**
     * Groups [g0, g1) for {@code rows} tokens ({@code in} in {@link #tileMajor} order, k per token) into {@code out} (n
     * per row); {@code wide}: six-token tiles allowed ({@link VectorBlocks#WIDE_REGISTER_FILE}).
     */
    static void gemm(TensorType type, MemorySegment seg, int k, int n, float[] in, float[] xs, float[] xd, int rows, float[] out,
                     int g0, int g1, boolean wide, VectorKernels.Scratch s) {
        if (rows <= BLOCK_GEMM_ROWS) {
            gemmByBlock(type, seg, k, n, in, xs, xd, rows, out, g0, g1, wide, s);
            return;
        }
        long gb = Interleaved.groupBytes(type, R, k);
        int nb = (k + BLOCK - 1) / BLOCK;
        int ps = R * k; // the block scales follow the values in the panel, then the block mins
        int pm = ps + R * nb;
        float[] p = s.panel(pm + R * nb);
        float[] tmp = s.tile;
        int mins = xs == null ? -1 : pm;
        boolean six = sixTokenTiles(rows, wide, xd != null);
        for (int g = g0; g < g1; g++) {
            for (int b = 0; b < nb; b++) blockValues(type, seg, gb * g, k, b, p, b * BLOCK * R, p, ps + b * R, p, pm + b * R);
            int j0 = g * R;
            for (int t = 0, tokens; t < rows; t += tokens) {
                tokens = tileTokens(rows - t, six);
                switch (tokens) {
                    case 6 -> tile6(p, ps, mins, k, in, t * k, xs, xd, t * nb, out, t * n, n, j0, tmp);
                    case 4 -> tile4(p, ps, mins, k, in, t * k, xs, xd, t * nb, out, t * n, n, j0, tmp);
                    default -> tile1(p, ps, mins, k, in, t * k, xs, xd, t * nb, out, t * n, n, j0, tmp);
                }
            }
        }
    }

    /**
     * GEMM for a few tokens (batched decode): one 32-element block of a group at a time is
     * converted into L1 scratch ({@link #blockValues}) and swept by every token's tile; each
     * token's R accumulators stay in L1 scratch between blocks. The same operations in the same
     * order as the panel form, so the same bits. Why: for a few tokens the panel form reads and
     * converts a whole group, then computes, which leaves the memory stream idle while it
     * computes and the core idle while it streams; block by block, the weights stream in order
     * while the tiles run (and a task's groups are one contiguous run, as in decode).
     */
    private static void gemmByBlock(TensorType type, MemorySegment seg, int k, int n, float[] in, float[] xs, float[] xd, int rows,
                                    float[] out, int g0, int g1, boolean wide, VectorKernels.Scratch s) {
        long gb = Interleaved.groupBytes(type, R, k);
        int nb = (k + BLOCK - 1) / BLOCK;
        float[] blk = s.block(R * BLOCK);
        float[] sc = s.scales, mn = s.mins;
        float[] acc = s.panel(rows * R);
        boolean six = sixTokenTiles(rows, wide, xd != null);
        for (int g = g0; g < g1; g++) {
            java.util.Arrays.fill(acc, 0, rows * R, 0f);
            for (int b = 0; b < nb; b++) {
                blockValues(type, seg, gb * g, k, b, blk, 0, sc, 0, mn, 0);
                int len = blockLength(k, b), xb = BLOCK * b;
                for (int t = 0, tokens; t < rows; t += tokens) {
                    tokens = tileTokens(rows - t, six);
                    int x0 = t * k + tokens * xb; // the tile's block in tileMajor order
                    switch (tokens) {
                        case 6 -> blockTile6(blk, len, sc, mn, in, x0, k, xs, xd, t * nb, nb, b, acc, t * R);
                        case 4 -> blockTile4(blk, len, sc, mn, in, x0, k, xs, xd, t * nb, nb, b, acc, t * R);
                        default -> blockTile1(blk, len, sc, mn, in, x0, k, xs, xd, t * nb, nb, b, acc, t * R);
                    }
                }
            }
            copyOut(acc, rows, out, 0, n, g * R);
        }
    }

    private static void blockTile6(float[] blk, int len, float[] sc, float[] mn, float[] x, int x0, int k, float[] xs, float[] xd, int xs0, int nb, int b, float[] acc, int a0) {
        FloatVector z = FloatVector.zero(FS);
        FloatVector s00 = z, s01 = z, s10 = z, s11 = z, s20 = z, s21 = z, s30 = z, s31 = z, s40 = z, s41 = z, s50 = z, s51 = z;
        for (int i = 0, xi = x0; i < len; i++, xi += 6) {
            FloatVector w0 = FloatVector.fromArray(FS, blk, i * R), w1 = FloatVector.fromArray(FS, blk, i * R + L);
            FloatVector t = FloatVector.broadcast(FS, x[xi]);
            s00 = w0.fma(t, s00); s01 = w1.fma(t, s01);
            t = FloatVector.broadcast(FS, x[xi + 1]);
            s10 = w0.fma(t, s10); s11 = w1.fma(t, s11);
            t = FloatVector.broadcast(FS, x[xi + 2]);
            s20 = w0.fma(t, s20); s21 = w1.fma(t, s21);
            t = FloatVector.broadcast(FS, x[xi + 3]);
            s30 = w0.fma(t, s30); s31 = w1.fma(t, s31);
            t = FloatVector.broadcast(FS, x[xi + 4]);
            s40 = w0.fma(t, s40); s41 = w1.fma(t, s41);
            t = FloatVector.broadcast(FS, x[xi + 5]);
            s50 = w0.fma(t, s50); s51 = w1.fma(t, s51);
        }
        if (xd != null) {
            FloatVector v0 = FloatVector.broadcast(FS, xd[xs0 + 0 * nb + b]);
            s00 = s00.mul(v0); s01 = s01.mul(v0);
            FloatVector v1 = FloatVector.broadcast(FS, xd[xs0 + 1 * nb + b]);
            s10 = s10.mul(v1); s11 = s11.mul(v1);
            FloatVector v2 = FloatVector.broadcast(FS, xd[xs0 + 2 * nb + b]);
            s20 = s20.mul(v2); s21 = s21.mul(v2);
            FloatVector v3 = FloatVector.broadcast(FS, xd[xs0 + 3 * nb + b]);
            s30 = s30.mul(v3); s31 = s31.mul(v3);
            FloatVector v4 = FloatVector.broadcast(FS, xd[xs0 + 4 * nb + b]);
            s40 = s40.mul(v4); s41 = s41.mul(v4);
            FloatVector v5 = FloatVector.broadcast(FS, xd[xs0 + 5 * nb + b]);
            s50 = s50.mul(v5); s51 = s51.mul(v5);
        }
        FloatVector d0 = FloatVector.fromArray(FS, sc, 0), d1 = FloatVector.fromArray(FS, sc, L);
        FloatVector m00 = d0.fma(s00, FloatVector.fromArray(FS, acc, a0 + 0 * R)), m01 = d1.fma(s01, FloatVector.fromArray(FS, acc, a0 + 0 * R + L));
        FloatVector m10 = d0.fma(s10, FloatVector.fromArray(FS, acc, a0 + 1 * R)), m11 = d1.fma(s11, FloatVector.fromArray(FS, acc, a0 + 1 * R + L));
        FloatVector m20 = d0.fma(s20, FloatVector.fromArray(FS, acc, a0 + 2 * R)), m21 = d1.fma(s21, FloatVector.fromArray(FS, acc, a0 + 2 * R + L));
        FloatVector m30 = d0.fma(s30, FloatVector.fromArray(FS, acc, a0 + 3 * R)), m31 = d1.fma(s31, FloatVector.fromArray(FS, acc, a0 + 3 * R + L));
        FloatVector m40 = d0.fma(s40, FloatVector.fromArray(FS, acc, a0 + 4 * R)), m41 = d1.fma(s41, FloatVector.fromArray(FS, acc, a0 + 4 * R + L));
        FloatVector m50 = d0.fma(s50, FloatVector.fromArray(FS, acc, a0 + 5 * R)), m51 = d1.fma(s51, FloatVector.fromArray(FS, acc, a0 + 5 * R + L));
        if (xs != null) {
            FloatVector n0 = FloatVector.fromArray(FS, mn, 0), n1 = FloatVector.fromArray(FS, mn, L);
            FloatVector u0 = FloatVector.broadcast(FS, xs[xs0 + 0 * nb + b]);
            m00 = n0.fma(u0, m00); m01 = n1.fma(u0, m01);
            FloatVector u1 = FloatVector.broadcast(FS, xs[xs0 + 1 * nb + b]);
            m10 = n0.fma(u1, m10); m11 = n1.fma(u1, m11);
            FloatVector u2 = FloatVector.broadcast(FS, xs[xs0 + 2 * nb + b]);
            m20 = n0.fma(u2, m20); m21 = n1.fma(u2, m21);
            FloatVector u3 = FloatVector.broadcast(FS, xs[xs0 + 3 * nb + b]);
            m30 = n0.fma(u3, m30); m31 = n1.fma(u3, m31);
            FloatVector u4 = FloatVector.broadcast(FS, xs[xs0 + 4 * nb + b]);
            m40 = n0.fma(u4, m40); m41 = n1.fma(u4, m41);
            FloatVector u5 = FloatVector.broadcast(FS, xs[xs0 + 5 * nb + b]);
            m50 = n0.fma(u5, m50); m51 = n1.fma(u5, m51);
        }
        m00.intoArray(acc, a0 + 0 * R);
        m01.intoArray(acc, a0 + 0 * R + L);
        m10.intoArray(acc, a0 + 1 * R);
        m11.intoArray(acc, a0 + 1 * R + L);
        m20.intoArray(acc, a0 + 2 * R);
        m21.intoArray(acc, a0 + 2 * R + L);
        m30.intoArray(acc, a0 + 3 * R);
        m31.intoArray(acc, a0 + 3 * R + L);
        m40.intoArray(acc, a0 + 4 * R);
        m41.intoArray(acc, a0 + 4 * R + L);
        m50.intoArray(acc, a0 + 5 * R);
        m51.intoArray(acc, a0 + 5 * R + L);
    }

    private static void blockTile4(float[] blk, int len, float[] sc, float[] mn, float[] x, int x0, int k, float[] xs, float[] xd, int xs0, int nb, int b, float[] acc, int a0) {
        FloatVector z = FloatVector.zero(FS);
        FloatVector s00 = z, s01 = z, s10 = z, s11 = z, s20 = z, s21 = z, s30 = z, s31 = z;
        for (int i = 0, xi = x0; i < len; i++, xi += 4) {
            FloatVector w0 = FloatVector.fromArray(FS, blk, i * R), w1 = FloatVector.fromArray(FS, blk, i * R + L);
            FloatVector t = FloatVector.broadcast(FS, x[xi]);
            s00 = w0.fma(t, s00); s01 = w1.fma(t, s01);
            t = FloatVector.broadcast(FS, x[xi + 1]);
            s10 = w0.fma(t, s10); s11 = w1.fma(t, s11);
            t = FloatVector.broadcast(FS, x[xi + 2]);
            s20 = w0.fma(t, s20); s21 = w1.fma(t, s21);
            t = FloatVector.broadcast(FS, x[xi + 3]);
            s30 = w0.fma(t, s30); s31 = w1.fma(t, s31);
        }
        if (xd != null) {
            FloatVector v0 = FloatVector.broadcast(FS, xd[xs0 + 0 * nb + b]);
            s00 = s00.mul(v0); s01 = s01.mul(v0);
            FloatVector v1 = FloatVector.broadcast(FS, xd[xs0 + 1 * nb + b]);
            s10 = s10.mul(v1); s11 = s11.mul(v1);
            FloatVector v2 = FloatVector.broadcast(FS, xd[xs0 + 2 * nb + b]);
            s20 = s20.mul(v2); s21 = s21.mul(v2);
            FloatVector v3 = FloatVector.broadcast(FS, xd[xs0 + 3 * nb + b]);
            s30 = s30.mul(v3); s31 = s31.mul(v3);
        }
        FloatVector d0 = FloatVector.fromArray(FS, sc, 0), d1 = FloatVector.fromArray(FS, sc, L);
        FloatVector m00 = d0.fma(s00, FloatVector.fromArray(FS, acc, a0 + 0 * R)), m01 = d1.fma(s01, FloatVector.fromArray(FS, acc, a0 + 0 * R + L));
        FloatVector m10 = d0.fma(s10, FloatVector.fromArray(FS, acc, a0 + 1 * R)), m11 = d1.fma(s11, FloatVector.fromArray(FS, acc, a0 + 1 * R + L));
        FloatVector m20 = d0.fma(s20, FloatVector.fromArray(FS, acc, a0 + 2 * R)), m21 = d1.fma(s21, FloatVector.fromArray(FS, acc, a0 + 2 * R + L));
        FloatVector m30 = d0.fma(s30, FloatVector.fromArray(FS, acc, a0 + 3 * R)), m31 = d1.fma(s31, FloatVector.fromArray(FS, acc, a0 + 3 * R + L));
        if (xs != null) {
            FloatVector n0 = FloatVector.fromArray(FS, mn, 0), n1 = FloatVector.fromArray(FS, mn, L);
            FloatVector u0 = FloatVector.broadcast(FS, xs[xs0 + 0 * nb + b]);
            m00 = n0.fma(u0, m00); m01 = n1.fma(u0, m01);
            FloatVector u1 = FloatVector.broadcast(FS, xs[xs0 + 1 * nb + b]);
            m10 = n0.fma(u1, m10); m11 = n1.fma(u1, m11);
            FloatVector u2 = FloatVector.broadcast(FS, xs[xs0 + 2 * nb + b]);
            m20 = n0.fma(u2, m20); m21 = n1.fma(u2, m21);
            FloatVector u3 = FloatVector.broadcast(FS, xs[xs0 + 3 * nb + b]);
            m30 = n0.fma(u3, m30); m31 = n1.fma(u3, m31);
        }
        m00.intoArray(acc, a0 + 0 * R);
        m01.intoArray(acc, a0 + 0 * R + L);
        m10.intoArray(acc, a0 + 1 * R);
        m11.intoArray(acc, a0 + 1 * R + L);
        m20.intoArray(acc, a0 + 2 * R);
        m21.intoArray(acc, a0 + 2 * R + L);
        m30.intoArray(acc, a0 + 3 * R);
        m31.intoArray(acc, a0 + 3 * R + L);
    }

    private static void blockTile1(float[] blk, int len, float[] sc, float[] mn, float[] x, int x0, int k, float[] xs, float[] xd, int xs0, int nb, int b, float[] acc, int a0) {
        FloatVector z = FloatVector.zero(FS);
        FloatVector s00 = z, s01 = z;
        for (int i = 0; i < len; i++) {
            FloatVector w0 = FloatVector.fromArray(FS, blk, i * R), w1 = FloatVector.fromArray(FS, blk, i * R + L);
            FloatVector t = FloatVector.broadcast(FS, x[x0 + i]);
            s00 = w0.fma(t, s00); s01 = w1.fma(t, s01);
        }
        if (xd != null) {
            FloatVector v0 = FloatVector.broadcast(FS, xd[xs0 + 0 * nb + b]);
            s00 = s00.mul(v0); s01 = s01.mul(v0);
        }
        FloatVector d0 = FloatVector.fromArray(FS, sc, 0), d1 = FloatVector.fromArray(FS, sc, L);
        FloatVector m00 = d0.fma(s00, FloatVector.fromArray(FS, acc, a0 + 0 * R)), m01 = d1.fma(s01, FloatVector.fromArray(FS, acc, a0 + 0 * R + L));
        if (xs != null) {
            FloatVector n0 = FloatVector.fromArray(FS, mn, 0), n1 = FloatVector.fromArray(FS, mn, L);
            FloatVector u0 = FloatVector.broadcast(FS, xs[xs0 + 0 * nb + b]);
            m00 = n0.fma(u0, m00); m01 = n1.fma(u0, m01);
        }
        m00.intoArray(acc, a0 + 0 * R);
        m01.intoArray(acc, a0 + 0 * R + L);
    }

    /**
     * Per token and block, the input sums that the min term multiplies, {@code xs[t*nb + b]}
     * ({@link Dequant#blockInputSum}); for int8 activations {@code in} holds the integers and each
     * sum (exact) is multiplied by the block's scale {@code xd[t*nb + b]}.
     */
    static void inputSums(float[] in, float[] xd, int rows, int k, float[] xs) {
        int nb = (k + BLOCK - 1) / BLOCK;
        for (int t = 0; t < rows; t++) {
            for (int b = 0; b < nb; b++) {
                float sum = Dequant.blockInputSum(in, t * k + BLOCK * b, blockLength(k, b));
                xs[t * nb + b] = xd != null ? sum * xd[t * nb + b] : sum;
            }
        }
    }

    private static void tile1(float[] p, int ps, int pm, int k, float[] x, int x0, float[] xs, float[] xd, int xs0, float[] out, int o, int n, int j0, float[] tmp) {
        int nb = (k + BLOCK - 1) / BLOCK;
        FloatVector z = FloatVector.zero(FS);
        FloatVector m00 = z, m01 = z;
        for (int i0 = 0, sb = ps, b = 0; i0 < k; i0 += BLOCK, sb += R, b++) {
            FloatVector a00 = z, a01 = z;
            for (int i = i0, i1 = Math.min(k, i0 + BLOCK); i < i1; i++) {
                FloatVector w0 = FloatVector.fromArray(FS, p, i * R), w1 = FloatVector.fromArray(FS, p, i * R + L);
                int xi = x0 + i;
                FloatVector t = FloatVector.broadcast(FS, x[xi]);
                a00 = w0.fma(t, a00); a01 = w1.fma(t, a01);
            }
            if (xd != null) { // int8 activations: the exact block sums times the token's block scale
                FloatVector v0 = FloatVector.broadcast(FS, xd[xs0 + 0 * nb + b]);
                a00 = a00.mul(v0); a01 = a01.mul(v0);
            }
            FloatVector d0 = FloatVector.fromArray(FS, p, sb), d1 = FloatVector.fromArray(FS, p, sb + L);
            m00 = d0.fma(a00, m00); m01 = d1.fma(a01, m01);
            if (pm >= 0) {
                FloatVector n0 = FloatVector.fromArray(FS, p, pm + b * R), n1 = FloatVector.fromArray(FS, p, pm + b * R + L);
                FloatVector u0 = FloatVector.broadcast(FS, xs[xs0 + 0 * nb + b]);
                m00 = n0.fma(u0, m00); m01 = n1.fma(u0, m01);
            }
        }
        m00.intoArray(tmp, 0 * L);
        m01.intoArray(tmp, 1 * L);
        copyOut(tmp, 1, out, o, n, j0);
    }

    private static void tile4(float[] p, int ps, int pm, int k, float[] x, int x0, float[] xs, float[] xd, int xs0, float[] out, int o, int n, int j0, float[] tmp) {
        int nb = (k + BLOCK - 1) / BLOCK;
        FloatVector z = FloatVector.zero(FS);
        FloatVector m00 = z, m01 = z, m10 = z, m11 = z, m20 = z, m21 = z, m30 = z, m31 = z;
        for (int i0 = 0, sb = ps, b = 0; i0 < k; i0 += BLOCK, sb += R, b++) {
            FloatVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
            for (int i = i0, i1 = Math.min(k, i0 + BLOCK); i < i1; i++) {
                FloatVector w0 = FloatVector.fromArray(FS, p, i * R), w1 = FloatVector.fromArray(FS, p, i * R + L);
                int xi = x0 + 4 * i;
                FloatVector t = FloatVector.broadcast(FS, x[xi]);
                a00 = w0.fma(t, a00); a01 = w1.fma(t, a01);
                t = FloatVector.broadcast(FS, x[xi + 1]);
                a10 = w0.fma(t, a10); a11 = w1.fma(t, a11);
                t = FloatVector.broadcast(FS, x[xi + 2]);
                a20 = w0.fma(t, a20); a21 = w1.fma(t, a21);
                t = FloatVector.broadcast(FS, x[xi + 3]);
                a30 = w0.fma(t, a30); a31 = w1.fma(t, a31);
            }
            if (xd != null) { // int8 activations: the exact block sums times the token's block scale
                FloatVector v0 = FloatVector.broadcast(FS, xd[xs0 + 0 * nb + b]);
                a00 = a00.mul(v0); a01 = a01.mul(v0);
                FloatVector v1 = FloatVector.broadcast(FS, xd[xs0 + 1 * nb + b]);
                a10 = a10.mul(v1); a11 = a11.mul(v1);
                FloatVector v2 = FloatVector.broadcast(FS, xd[xs0 + 2 * nb + b]);
                a20 = a20.mul(v2); a21 = a21.mul(v2);
                FloatVector v3 = FloatVector.broadcast(FS, xd[xs0 + 3 * nb + b]);
                a30 = a30.mul(v3); a31 = a31.mul(v3);
            }
            FloatVector d0 = FloatVector.fromArray(FS, p, sb), d1 = FloatVector.fromArray(FS, p, sb + L);
            m00 = d0.fma(a00, m00); m01 = d1.fma(a01, m01);
            m10 = d0.fma(a10, m10); m11 = d1.fma(a11, m11);
            m20 = d0.fma(a20, m20); m21 = d1.fma(a21, m21);
            m30 = d0.fma(a30, m30); m31 = d1.fma(a31, m31);
            if (pm >= 0) {
                FloatVector n0 = FloatVector.fromArray(FS, p, pm + b * R), n1 = FloatVector.fromArray(FS, p, pm + b * R + L);
                FloatVector u0 = FloatVector.broadcast(FS, xs[xs0 + 0 * nb + b]);
                m00 = n0.fma(u0, m00); m01 = n1.fma(u0, m01);
                FloatVector u1 = FloatVector.broadcast(FS, xs[xs0 + 1 * nb + b]);
                m10 = n0.fma(u1, m10); m11 = n1.fma(u1, m11);
                FloatVector u2 = FloatVector.broadcast(FS, xs[xs0 + 2 * nb + b]);
                m20 = n0.fma(u2, m20); m21 = n1.fma(u2, m21);
                FloatVector u3 = FloatVector.broadcast(FS, xs[xs0 + 3 * nb + b]);
                m30 = n0.fma(u3, m30); m31 = n1.fma(u3, m31);
            }
        }
        m00.intoArray(tmp, 0 * L);
        m01.intoArray(tmp, 1 * L);
        m10.intoArray(tmp, 2 * L);
        m11.intoArray(tmp, 3 * L);
        m20.intoArray(tmp, 4 * L);
        m21.intoArray(tmp, 5 * L);
        m30.intoArray(tmp, 6 * L);
        m31.intoArray(tmp, 7 * L);
        copyOut(tmp, 4, out, o, n, j0);
    }

    private static void tile6(float[] p, int ps, int pm, int k, float[] x, int x0, float[] xs, float[] xd, int xs0, float[] out, int o, int n, int j0, float[] tmp) {
        int nb = (k + BLOCK - 1) / BLOCK;
        FloatVector z = FloatVector.zero(FS);
        FloatVector m00 = z, m01 = z, m10 = z, m11 = z, m20 = z, m21 = z, m30 = z, m31 = z, m40 = z, m41 = z, m50 = z, m51 = z;
        for (int i0 = 0, sb = ps, b = 0; i0 < k; i0 += BLOCK, sb += R, b++) {
            FloatVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z, a40 = z, a41 = z, a50 = z, a51 = z;
            for (int i = i0, i1 = Math.min(k, i0 + BLOCK); i < i1; i++) {
                FloatVector w0 = FloatVector.fromArray(FS, p, i * R), w1 = FloatVector.fromArray(FS, p, i * R + L);
                int xi = x0 + 6 * i;
                FloatVector t = FloatVector.broadcast(FS, x[xi]);
                a00 = w0.fma(t, a00); a01 = w1.fma(t, a01);
                t = FloatVector.broadcast(FS, x[xi + 1]);
                a10 = w0.fma(t, a10); a11 = w1.fma(t, a11);
                t = FloatVector.broadcast(FS, x[xi + 2]);
                a20 = w0.fma(t, a20); a21 = w1.fma(t, a21);
                t = FloatVector.broadcast(FS, x[xi + 3]);
                a30 = w0.fma(t, a30); a31 = w1.fma(t, a31);
                t = FloatVector.broadcast(FS, x[xi + 4]);
                a40 = w0.fma(t, a40); a41 = w1.fma(t, a41);
                t = FloatVector.broadcast(FS, x[xi + 5]);
                a50 = w0.fma(t, a50); a51 = w1.fma(t, a51);
            }
            if (xd != null) { // int8 activations: the exact block sums times the token's block scale
                FloatVector v0 = FloatVector.broadcast(FS, xd[xs0 + 0 * nb + b]);
                a00 = a00.mul(v0); a01 = a01.mul(v0);
                FloatVector v1 = FloatVector.broadcast(FS, xd[xs0 + 1 * nb + b]);
                a10 = a10.mul(v1); a11 = a11.mul(v1);
                FloatVector v2 = FloatVector.broadcast(FS, xd[xs0 + 2 * nb + b]);
                a20 = a20.mul(v2); a21 = a21.mul(v2);
                FloatVector v3 = FloatVector.broadcast(FS, xd[xs0 + 3 * nb + b]);
                a30 = a30.mul(v3); a31 = a31.mul(v3);
                FloatVector v4 = FloatVector.broadcast(FS, xd[xs0 + 4 * nb + b]);
                a40 = a40.mul(v4); a41 = a41.mul(v4);
                FloatVector v5 = FloatVector.broadcast(FS, xd[xs0 + 5 * nb + b]);
                a50 = a50.mul(v5); a51 = a51.mul(v5);
            }
            FloatVector d0 = FloatVector.fromArray(FS, p, sb), d1 = FloatVector.fromArray(FS, p, sb + L);
            m00 = d0.fma(a00, m00); m01 = d1.fma(a01, m01);
            m10 = d0.fma(a10, m10); m11 = d1.fma(a11, m11);
            m20 = d0.fma(a20, m20); m21 = d1.fma(a21, m21);
            m30 = d0.fma(a30, m30); m31 = d1.fma(a31, m31);
            m40 = d0.fma(a40, m40); m41 = d1.fma(a41, m41);
            m50 = d0.fma(a50, m50); m51 = d1.fma(a51, m51);
            if (pm >= 0) {
                FloatVector n0 = FloatVector.fromArray(FS, p, pm + b * R), n1 = FloatVector.fromArray(FS, p, pm + b * R + L);
                FloatVector u0 = FloatVector.broadcast(FS, xs[xs0 + 0 * nb + b]);
                m00 = n0.fma(u0, m00); m01 = n1.fma(u0, m01);
                FloatVector u1 = FloatVector.broadcast(FS, xs[xs0 + 1 * nb + b]);
                m10 = n0.fma(u1, m10); m11 = n1.fma(u1, m11);
                FloatVector u2 = FloatVector.broadcast(FS, xs[xs0 + 2 * nb + b]);
                m20 = n0.fma(u2, m20); m21 = n1.fma(u2, m21);
                FloatVector u3 = FloatVector.broadcast(FS, xs[xs0 + 3 * nb + b]);
                m30 = n0.fma(u3, m30); m31 = n1.fma(u3, m31);
                FloatVector u4 = FloatVector.broadcast(FS, xs[xs0 + 4 * nb + b]);
                m40 = n0.fma(u4, m40); m41 = n1.fma(u4, m41);
                FloatVector u5 = FloatVector.broadcast(FS, xs[xs0 + 5 * nb + b]);
                m50 = n0.fma(u5, m50); m51 = n1.fma(u5, m51);
            }
        }
        m00.intoArray(tmp, 0 * L);
        m01.intoArray(tmp, 1 * L);
        m10.intoArray(tmp, 2 * L);
        m11.intoArray(tmp, 3 * L);
        m20.intoArray(tmp, 4 * L);
        m21.intoArray(tmp, 5 * L);
        m30.intoArray(tmp, 6 * L);
        m31.intoArray(tmp, 7 * L);
        m40.intoArray(tmp, 8 * L);
        m41.intoArray(tmp, 9 * L);
        m50.intoArray(tmp, 10 * L);
        m51.intoArray(tmp, 11 * L);
        copyOut(tmp, 6, out, o, n, j0);
    }
}
