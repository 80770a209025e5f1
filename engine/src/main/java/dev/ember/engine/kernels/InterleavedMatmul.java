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
import jdk.incubator.vector.VectorOperators;

/**
 * Matmul over {@link Interleaved} weights, groups of {@link #R} = 2L rows: for each input element
 * k, one pair of vectors holds the group's R weights, and every (row, token) output has one plain
 * accumulator.
 *
 * <p><b>The one reduction order</b> ({@link Dequant#blockRow}, the scalar reference's): per block
 * of 32 input elements, {@code s = 0; s = fma(v[k], x[k], s)} for k in order, where v is the
 * stored value (Q8_0's int8, Q4_0's nibble - 8, a float type's weight), then
 * {@code acc = fma(scale, s, acc)} with the block's scale (1 for float types). The same for one
 * token (decode) and any batch (GEMM), for every vector width. Per output there is no horizontal
 * reduction, and a quantized weight costs one conversion and one fused multiply-add: the scale is
 * applied once per block, not once per weight.
 *
 * <p>The small part that varies per type is {@link #blockValues}: it writes 32 input elements of
 * a group as floats, element-major ({@code [k][R]}), and the block's R scales. Decode converts the
 * quantized types in registers (two groups at a time) and the float types through L1 scratch; GEMM
 * converts a task's whole group once into an L2 panel and sweeps all tokens with register tiles of
 * R rows x 12 tokens (then 8, 4, 1 for the rest), whose block sums are folded into accumulators
 * kept in L1 at the end of each block.
 */
final class InterleavedMatmul {
    /** Rows per interleaved group. */
    static final int R = 2 * L;
    /** Input elements per block: the unit of the scale in the reduction order. */
    static final int BLOCK = Dequant.MATMUL_BLOCK;

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
    static void blockValues(TensorType type, MemorySegment seg, long go, int k, int b, float[] dst, int dOff, float[] sc, int sOff) {
        long e0 = (long) R * BLOCK * b; // the block's first element in the group
        int count = R * blockLength(k, b);
        switch (type) {
            case Q8_0 -> q8Block(seg, go + 34L * R * b, dst, dOff, sc, sOff);
            case Q4_0 -> q4Block(seg, go + 18L * R * b, dst, dOff, sc, sOff);
            case F32 -> MemorySegment.copy(seg, Dequant.LE_FLOAT, go + 4L * e0, dst, dOff, count);
            case F16 -> VectorBlocks.halfsRow(seg, go + 2L * e0, count, dst, dOff);
            case BF16 -> VectorBlocks.bfloat16Row(seg, go + 2L * e0, count, dst, dOff);
            default -> throw new IllegalArgumentException(type + " has no interleaved layout");
        }
        if (!quantized(type)) java.util.Arrays.fill(sc, sOff, sOff + R, 1f);
    }

    private static boolean quantized(TensorType type) {
        return type == TensorType.Q8_0 || type == TensorType.Q4_0;
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
        int di = dOff;
        for (long o = blk + 2L * R, end = o + (long) BLOCK / 2 * R; o < end; o += R, di += 2 * R) {
            IntVector v0 = (IntVector) ByteVector.fromMemorySegment(BS, seg, o, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0), v1 = (IntVector) ByteVector.fromMemorySegment(BS, seg, o + L, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            ((FloatVector) v0.and(0xF).sub(8).convertShape(VectorOperators.I2F, FS, 0)).intoArray(dst, di);
            ((FloatVector) v1.and(0xF).sub(8).convertShape(VectorOperators.I2F, FS, 0)).intoArray(dst, di + L);
            ((FloatVector) v0.lanewise(VectorOperators.LSHR, 4).sub(8).convertShape(VectorOperators.I2F, FS, 0)).intoArray(dst, di + R);
            ((FloatVector) v1.lanewise(VectorOperators.LSHR, 4).sub(8).convertShape(VectorOperators.I2F, FS, 0)).intoArray(dst, di + R + L);
        }
    }

    // ------------------------------------------------------------------ decode (one token)

    /** Groups [g0, g1) for one token {@code x[x0 .. x0 + k)} into {@code out[o + row]}. */
    static void decode(TensorType type, MemorySegment seg, int k, int n, float[] x, int x0, float[] out, int o,
                       int g0, int g1, VectorKernels.Scratch s) {
        long gb = Interleaved.groupBytes(type, R, k);
        float[] blk = s.block(R * BLOCK);
        float[] acc = s.tile;
        float[] sc = s.scales;
        int g = g0;
        if (quantized(type)) {
            for (; g + 2 <= g1; g += 2) {
                if (type == TensorType.Q8_0) q8DecodePair(seg, gb * g, gb * (g + 1), k, x, x0, acc, sc);
                else q4DecodePair(seg, gb * g, gb * (g + 1), k, x, x0, acc, sc);
                copyOutGroups(acc, 2, out, o, n, g * R); // the pair's 2R outputs are contiguous
            }
        }
        for (; g < g1; g++) {
            FloatVector a0 = FloatVector.zero(FS), a1 = a0;
            for (int b = 0, nb = (k + BLOCK - 1) / BLOCK; b < nb; b++) {
                blockValues(type, seg, gb * g, k, b, blk, 0, sc, 0);
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

    /** {@link #q8DecodePair} for Q4_0: values {@code nibble - 8}; a byte's low nibble is element 2i, its high nibble 2i+1. */
    private static void q4DecodePair(MemorySegment seg, long ga, long gbo, int k, float[] x, int x0, float[] acc, float[] sc) {
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, b0 = a0, b1 = a0;
        for (int b = 0, nb = k / BLOCK; b < nb; b++) {
            long pa = ga + 18L * R * b, pb = gbo + 18L * R * b;
            VectorBlocks.halfsRow(seg, pa, R, sc, 0);
            VectorBlocks.halfsRow(seg, pb, R, sc, R);
            long qa = pa + 2L * R;
            long d = pb - pa;
            FloatVector sa0 = FloatVector.zero(FS), sa1 = sa0, sb0 = sa0, sb1 = sa0;
            int xi = x0 + BLOCK * b;
            for (long oa = qa, end = qa + (long) BLOCK / 2 * R; oa < end; oa += R, xi += 2) { // see q8DecodePair
                long ob = oa + d;
                IntVector va0 = (IntVector) ByteVector.fromMemorySegment(BS, seg, oa, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0), va1 = (IntVector) ByteVector.fromMemorySegment(BS, seg, oa + L, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0), vb0 = (IntVector) ByteVector.fromMemorySegment(BS, seg, ob, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0), vb1 = (IntVector) ByteVector.fromMemorySegment(BS, seg, ob + L, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                FloatVector t = FloatVector.broadcast(FS, x[xi]);
                sa0 = ((FloatVector) va0.and(0xF).sub(8).convertShape(VectorOperators.I2F, FS, 0)).fma(t, sa0);
                sa1 = ((FloatVector) va1.and(0xF).sub(8).convertShape(VectorOperators.I2F, FS, 0)).fma(t, sa1);
                sb0 = ((FloatVector) vb0.and(0xF).sub(8).convertShape(VectorOperators.I2F, FS, 0)).fma(t, sb0);
                sb1 = ((FloatVector) vb1.and(0xF).sub(8).convertShape(VectorOperators.I2F, FS, 0)).fma(t, sb1);
                t = FloatVector.broadcast(FS, x[xi + 1]);
                sa0 = ((FloatVector) va0.lanewise(VectorOperators.LSHR, 4).sub(8).convertShape(VectorOperators.I2F, FS, 0)).fma(t, sa0);
                sa1 = ((FloatVector) va1.lanewise(VectorOperators.LSHR, 4).sub(8).convertShape(VectorOperators.I2F, FS, 0)).fma(t, sa1);
                sb0 = ((FloatVector) vb0.lanewise(VectorOperators.LSHR, 4).sub(8).convertShape(VectorOperators.I2F, FS, 0)).fma(t, sb0);
                sb1 = ((FloatVector) vb1.lanewise(VectorOperators.LSHR, 4).sub(8).convertShape(VectorOperators.I2F, FS, 0)).fma(t, sb1);
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
     * Copies {@code tokens} tokens' R outputs from {@code tmp} (token t at {@code t*R}) to
     * {@code out[o + t*n + j0 ..]}, leaving out the padding rows past n. The tiles store their
     * accumulators to an array first, never pass vectors to a call: a vector argument of a call
     * C2 does not inline is boxed, and C2 then boxed inside the hot loop.
     */
    private static void copyOut(float[] tmp, int tokens, float[] out, int o, int n, int j0) {
        int len = Math.min(R, n - j0);
        for (int t = 0; t < tokens; t++) System.arraycopy(tmp, t * R, out, o + t * n + j0, len);
    }

    /** One token's outputs of {@code groups} consecutive groups from {@code tmp[0 ..]}. */
    private static void copyOutGroups(float[] tmp, int groups, float[] out, int o, int n, int j0) {
        int len = Math.min(groups * R, n - j0);
        if (len > 0) System.arraycopy(tmp, 0, out, o + j0, len);
    }

    // ------------------------------------------------------------------ GEMM (several tokens)

    /** Groups [g0, g1) for {@code rows} tokens (row-major {@code in}, k per row) into {@code out} (n per row). */
    static void gemm(TensorType type, MemorySegment seg, int k, int n, float[] in, int rows, float[] out,
                     int g0, int g1, VectorKernels.Scratch s) {
        long gb = Interleaved.groupBytes(type, R, k);
        int nb = (k + BLOCK - 1) / BLOCK;
        int ps = R * k; // the block scales follow the values in the panel
        float[] p = s.panel(ps + R * nb);
        float[] tmp = s.tile;
        for (int g = g0; g < g1; g++) {
            for (int b = 0; b < nb; b++) blockValues(type, seg, gb * g, k, b, p, b * BLOCK * R, p, ps + b * R);
            int j0 = g * R;
            int t = 0;
            for (; t + 6 <= rows && rows - t != 8; t += 6) tile6(p, ps, k, in, t * k, out, t * n, n, j0, tmp);
            for (; t + 4 <= rows; t += 4) tile4(p, ps, k, in, t * k, out, t * n, n, j0, tmp);
            for (; t < rows; t++) tile1(p, ps, k, in, t * k, out, t * n, n, j0, tmp);
        }
    }

    private static void tile1(float[] p, int ps, int k, float[] x, int x0, float[] out, int o, int n, int j0, float[] tmp) {
        FloatVector z = FloatVector.zero(FS);
        FloatVector m00 = z, m01 = z;
        for (int i0 = 0, sb = ps; i0 < k; i0 += BLOCK, sb += R) {
            FloatVector a00 = z, a01 = z;
            for (int i = i0, i1 = Math.min(k, i0 + BLOCK); i < i1; i++) {
                FloatVector w0 = FloatVector.fromArray(FS, p, i * R), w1 = FloatVector.fromArray(FS, p, i * R + L);
                int xi = x0 + i;
                FloatVector t = FloatVector.broadcast(FS, x[xi]);
                a00 = w0.fma(t, a00); a01 = w1.fma(t, a01);
            }
            FloatVector d0 = FloatVector.fromArray(FS, p, sb), d1 = FloatVector.fromArray(FS, p, sb + L);
            m00 = d0.fma(a00, m00); m01 = d1.fma(a01, m01);
        }
        m00.intoArray(tmp, 0 * L);
        m01.intoArray(tmp, 1 * L);
        copyOut(tmp, 1, out, o, n, j0);
    }

    private static void tile4(float[] p, int ps, int k, float[] x, int x0, float[] out, int o, int n, int j0, float[] tmp) {
        FloatVector z = FloatVector.zero(FS);
        FloatVector m00 = z, m01 = z, m10 = z, m11 = z, m20 = z, m21 = z, m30 = z, m31 = z;
        for (int i0 = 0, sb = ps; i0 < k; i0 += BLOCK, sb += R) {
            FloatVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
            for (int i = i0, i1 = Math.min(k, i0 + BLOCK); i < i1; i++) {
                FloatVector w0 = FloatVector.fromArray(FS, p, i * R), w1 = FloatVector.fromArray(FS, p, i * R + L);
                int xi = x0 + i;
                FloatVector t = FloatVector.broadcast(FS, x[xi]);
                a00 = w0.fma(t, a00); a01 = w1.fma(t, a01);
                t = FloatVector.broadcast(FS, x[xi + k]);
                a10 = w0.fma(t, a10); a11 = w1.fma(t, a11);
                t = FloatVector.broadcast(FS, x[xi + 2 * k]);
                a20 = w0.fma(t, a20); a21 = w1.fma(t, a21);
                t = FloatVector.broadcast(FS, x[xi + 3 * k]);
                a30 = w0.fma(t, a30); a31 = w1.fma(t, a31);
            }
            FloatVector d0 = FloatVector.fromArray(FS, p, sb), d1 = FloatVector.fromArray(FS, p, sb + L);
            m00 = d0.fma(a00, m00); m01 = d1.fma(a01, m01);
            m10 = d0.fma(a10, m10); m11 = d1.fma(a11, m11);
            m20 = d0.fma(a20, m20); m21 = d1.fma(a21, m21);
            m30 = d0.fma(a30, m30); m31 = d1.fma(a31, m31);
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

    private static void tile6(float[] p, int ps, int k, float[] x, int x0, float[] out, int o, int n, int j0, float[] tmp) {
        FloatVector z = FloatVector.zero(FS);
        FloatVector m00 = z, m01 = z, m10 = z, m11 = z, m20 = z, m21 = z, m30 = z, m31 = z, m40 = z, m41 = z, m50 = z, m51 = z;
        for (int i0 = 0, sb = ps; i0 < k; i0 += BLOCK, sb += R) {
            FloatVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z, a40 = z, a41 = z, a50 = z, a51 = z;
            for (int i = i0, i1 = Math.min(k, i0 + BLOCK); i < i1; i++) {
                FloatVector w0 = FloatVector.fromArray(FS, p, i * R), w1 = FloatVector.fromArray(FS, p, i * R + L);
                int xi = x0 + i;
                FloatVector t = FloatVector.broadcast(FS, x[xi]);
                a00 = w0.fma(t, a00); a01 = w1.fma(t, a01);
                t = FloatVector.broadcast(FS, x[xi + k]);
                a10 = w0.fma(t, a10); a11 = w1.fma(t, a11);
                t = FloatVector.broadcast(FS, x[xi + 2 * k]);
                a20 = w0.fma(t, a20); a21 = w1.fma(t, a21);
                t = FloatVector.broadcast(FS, x[xi + 3 * k]);
                a30 = w0.fma(t, a30); a31 = w1.fma(t, a31);
                t = FloatVector.broadcast(FS, x[xi + 4 * k]);
                a40 = w0.fma(t, a40); a41 = w1.fma(t, a41);
                t = FloatVector.broadcast(FS, x[xi + 5 * k]);
                a50 = w0.fma(t, a50); a51 = w1.fma(t, a51);
            }
            FloatVector d0 = FloatVector.fromArray(FS, p, sb), d1 = FloatVector.fromArray(FS, p, sb + L);
            m00 = d0.fma(a00, m00); m01 = d1.fma(a01, m01);
            m10 = d0.fma(a10, m10); m11 = d1.fma(a11, m11);
            m20 = d0.fma(a20, m20); m21 = d1.fma(a21, m21);
            m30 = d0.fma(a30, m30); m31 = d1.fma(a31, m31);
            m40 = d0.fma(a40, m40); m41 = d1.fma(a41, m41);
            m50 = d0.fma(a50, m50); m51 = d1.fma(a51, m51);
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
