package dev.ember.engine.kernels;

import static dev.ember.engine.kernels.VectorBlocks.BS;
import static dev.ember.engine.kernels.VectorBlocks.FS;
import static dev.ember.engine.kernels.VectorBlocks.IS;
import static dev.ember.engine.kernels.VectorBlocks.L;
import static dev.ember.engine.kernels.VectorBlocks.LE;

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
 * <p><b>The one reduction order.</b> {@code acc = 0; for k in 0 .. K: acc = fma(w[j][k], x[k], acc)}
 * where {@code w} is the weight exactly as {@code Dequant} defines it: a sequential fused sum,
 * the same for one token (decode) and any batch (GEMM), for every vector width, and the same as
 * the scalar reference's. Per output there is no horizontal reduction at all.
 *
 * <p>The small part that varies per type is {@link #dequantBlock}: it writes 32 input elements of
 * a group as floats, element-major ({@code [k][R]}). Decode dequantizes a block into L1 scratch and
 * runs the one-token loop over it; GEMM dequantizes a task's whole group once into an L2 panel and
 * sweeps all tokens with register tiles of R rows x 12 tokens (then 8, 4, 1 for the rest) (24 accumulators, two weight vectors
 * and one broadcast: 27 of AVX-512's 32 registers).
 */
final class InterleavedMatmul {
    /** Rows per interleaved group. */
    static final int R = 2 * L;
    /** Input elements per dequantized block. */
    static final int BLOCK = 32;

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
     * Input elements {@code [32b, 32b + blockLength(k, b))} of the group at byte {@code go}, as
     * floats into {@code dst[dOff + i*R + r]}.
     */
    static void dequantBlock(TensorType type, MemorySegment seg, long go, int k, int b, float[] dst, int dOff, float[] scales) {
        long e0 = (long) R * BLOCK * b; // the block's first element in the group
        int count = R * blockLength(k, b);
        switch (type) {
            case Q8_0 -> q8Block(seg, go + 34L * R * b, dst, dOff, scales);
            case Q4_0 -> q4Block(seg, go + 18L * R * b, dst, dOff, scales);
            case F32 -> MemorySegment.copy(seg, dev.ember.engine.tensor.Dequant.LE_FLOAT, go + 4L * e0, dst, dOff, count);
            case F16 -> VectorBlocks.halfsRow(seg, go + 2L * e0, count, dst, dOff);
            case BF16 -> VectorBlocks.bfloat16Row(seg, go + 2L * e0, count, dst, dOff);
            default -> throw new IllegalArgumentException(type + " has no interleaved layout");
        }
    }

    private static void q8Block(MemorySegment seg, long blk, float[] dst, int dOff, float[] scales) {
        VectorBlocks.halfsRow(seg, blk, R, scales, 0);
        FloatVector d0 = FloatVector.fromArray(FS, scales, 0), d1 = FloatVector.fromArray(FS, scales, L);
        long q = blk + 2L * R;
        int di = dOff;
        for (long o = q, end = q + (long) BLOCK * R; o < end; o += R, di += R) { // long offsets: see q8DecodePair
            ((FloatVector) ByteVector.fromMemorySegment(BS, seg, o, LE).convertShape(VectorOperators.B2F, FS, 0)).mul(d0).intoArray(dst, di);
            ((FloatVector) ByteVector.fromMemorySegment(BS, seg, o + L, LE).convertShape(VectorOperators.B2F, FS, 0)).mul(d1).intoArray(dst, di + L);
        }
    }

    private static void q4Block(MemorySegment seg, long blk, float[] dst, int dOff, float[] scales) {
        VectorBlocks.halfsRow(seg, blk, R, scales, 0);
        FloatVector d0 = FloatVector.fromArray(FS, scales, 0), d1 = FloatVector.fromArray(FS, scales, L);
        FloatVector m0 = d0.mul(-8f), m1 = d1.mul(-8f); // exact, as Dequant's -8f * d
        long q = blk + 2L * R;
        int di = dOff;
        for (long o = q, end = q + (long) BLOCK / 2 * R; o < end; o += R, di += 2 * R) {
            IntVector v0 = (IntVector) ByteVector.fromMemorySegment(BS, seg, o, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            IntVector v1 = (IntVector) ByteVector.fromMemorySegment(BS, seg, o + L, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            ((FloatVector) v0.and(0xF).convertShape(VectorOperators.I2F, FS, 0)).fma(d0, m0).intoArray(dst, di);
            ((FloatVector) v1.and(0xF).convertShape(VectorOperators.I2F, FS, 0)).fma(d1, m1).intoArray(dst, di + L);
            ((FloatVector) v0.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, FS, 0)).fma(d0, m0).intoArray(dst, di + R);
            ((FloatVector) v1.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, FS, 0)).fma(d1, m1).intoArray(dst, di + R + L);
        }
    }

    // ------------------------------------------------------------------ decode (one token)

    /** Groups [g0, g1) for one token {@code x[x0 .. x0 + k)} into {@code out[o + row]}. */
    static void decode(TensorType type, MemorySegment seg, int k, int n, float[] x, int x0, float[] out, int o,
                       int g0, int g1, VectorKernels.Scratch s) {
        long gb = Interleaved.groupBytes(type, R, k);
        float[] blk = s.block(R * BLOCK);
        float[] acc = s.tile;
        int g = g0;
        if (type == TensorType.Q8_0 || type == TensorType.Q4_0) {
            for (; g + 2 <= g1; g += 2) {
                if (type == TensorType.Q8_0) q8DecodePair(seg, gb * g, gb * (g + 1), k, x, x0, acc, s.scales);
                else q4DecodePair(seg, gb * g, gb * (g + 1), k, x, x0, acc, s.scales);
                copyOutGroups(acc, 2, out, o, n, g * R); // the pair's 2R outputs are contiguous
            }
        }
        for (; g < g1; g++) {
            FloatVector a0 = FloatVector.zero(FS), a1 = a0;
            for (int b = 0, nb = (k + BLOCK - 1) / BLOCK; b < nb; b++) {
                dequantBlock(type, seg, gb * g, k, b, blk, 0, s.scales);
                int xb = x0 + BLOCK * b;
                for (int i = 0, len = blockLength(k, b); i < len; i++) {
                    FloatVector t = FloatVector.broadcast(FS, x[xb + i]);
                    a0 = FloatVector.fromArray(FS, blk, i * R).fma(t, a0);
                    a1 = FloatVector.fromArray(FS, blk, i * R + L).fma(t, a1);
                }
            }
            a0.intoArray(acc, 0);
            a1.intoArray(acc, L);
            copyOut(acc, 1, out, o, n, g * R);
        }
    }

    /**
     * Two groups (four accumulator chains, enough to hide the FMA latency of one token) of Q8_0,
     * dequantized in registers: {@code w = q * d}, then {@code acc = fma(w, x, acc)}. Group a's
     * outputs go to {@code acc[0 .. R)}, group b's to {@code acc[R .. 2R)}.
     */
    private static void q8DecodePair(MemorySegment seg, long ga, long gbo, int k, float[] x, int x0, float[] acc, float[] sc) {
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, b0 = a0, b1 = a0;
        for (int b = 0, nb = k / BLOCK; b < nb; b++) {
            long pa = ga + 34L * R * b, pb = gbo + 34L * R * b;
            VectorBlocks.halfsRow(seg, pa, R, sc, 0);
            VectorBlocks.halfsRow(seg, pb, R, sc, R);
            FloatVector da0 = FloatVector.fromArray(FS, sc, 0), da1 = FloatVector.fromArray(FS, sc, L);
            FloatVector db0 = FloatVector.fromArray(FS, sc, R), db1 = FloatVector.fromArray(FS, sc, R + L);
            long qa = pa + 2L * R, qb = pb + 2L * R;
            int xb = x0 + BLOCK * b;
            long d = qb - qa;
            // A long loop variable that is the load offset itself: C2 then hoists the segment
            // bounds checks (with an int index scaled into a long offset it kept about ten
            // instructions of checks per load, which made decode compute-bound).
            for (long oa = qa, end = qa + (long) BLOCK * R; oa < end; oa += R) {
                FloatVector t = FloatVector.broadcast(FS, x[xb + (int) ((oa - qa) / R)]);
                long ob = oa + d;
                a0 = ((FloatVector) ByteVector.fromMemorySegment(BS, seg, oa, LE).convertShape(VectorOperators.B2F, FS, 0)).mul(da0).fma(t, a0);
                a1 = ((FloatVector) ByteVector.fromMemorySegment(BS, seg, oa + L, LE).convertShape(VectorOperators.B2F, FS, 0)).mul(da1).fma(t, a1);
                b0 = ((FloatVector) ByteVector.fromMemorySegment(BS, seg, ob, LE).convertShape(VectorOperators.B2F, FS, 0)).mul(db0).fma(t, b0);
                b1 = ((FloatVector) ByteVector.fromMemorySegment(BS, seg, ob + L, LE).convertShape(VectorOperators.B2F, FS, 0)).mul(db1).fma(t, b1);
            }
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
        b0.intoArray(acc, R);
        b1.intoArray(acc, R + L);
    }

    /** {@link #q8DecodePair} for Q4_0: {@code w = fma(q, d, -8d)}; a byte's low nibble is element 2i, its high nibble 2i+1. */
    private static void q4DecodePair(MemorySegment seg, long ga, long gbo, int k, float[] x, int x0, float[] acc, float[] sc) {
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, b0 = a0, b1 = a0;
        for (int b = 0, nb = k / BLOCK; b < nb; b++) {
            long pa = ga + 18L * R * b, pb = gbo + 18L * R * b;
            VectorBlocks.halfsRow(seg, pa, R, sc, 0);
            VectorBlocks.halfsRow(seg, pb, R, sc, R);
            FloatVector da0 = FloatVector.fromArray(FS, sc, 0), da1 = FloatVector.fromArray(FS, sc, L);
            FloatVector db0 = FloatVector.fromArray(FS, sc, R), db1 = FloatVector.fromArray(FS, sc, R + L);
            FloatVector ma0 = da0.mul(-8f), ma1 = da1.mul(-8f), mb0 = db0.mul(-8f), mb1 = db1.mul(-8f);
            long qa = pa + 2L * R, qb = pb + 2L * R;
            int xb = x0 + BLOCK * b;
            long d = qb - qa;
            for (long oa = qa, end = qa + (long) BLOCK / 2 * R; oa < end; oa += R) { // see q8DecodePair
                long ob = oa + d;
                int i = (int) ((oa - qa) / R);
                IntVector va0 = (IntVector) ByteVector.fromMemorySegment(BS, seg, oa, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                IntVector va1 = (IntVector) ByteVector.fromMemorySegment(BS, seg, oa + L, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                IntVector vb0 = (IntVector) ByteVector.fromMemorySegment(BS, seg, ob, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                IntVector vb1 = (IntVector) ByteVector.fromMemorySegment(BS, seg, ob + L, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                FloatVector t = FloatVector.broadcast(FS, x[xb + 2 * i]);
                a0 = ((FloatVector) va0.and(0xF).convertShape(VectorOperators.I2F, FS, 0)).fma(da0, ma0).fma(t, a0);
                a1 = ((FloatVector) va1.and(0xF).convertShape(VectorOperators.I2F, FS, 0)).fma(da1, ma1).fma(t, a1);
                b0 = ((FloatVector) vb0.and(0xF).convertShape(VectorOperators.I2F, FS, 0)).fma(db0, mb0).fma(t, b0);
                b1 = ((FloatVector) vb1.and(0xF).convertShape(VectorOperators.I2F, FS, 0)).fma(db1, mb1).fma(t, b1);
                t = FloatVector.broadcast(FS, x[xb + 2 * i + 1]);
                a0 = ((FloatVector) va0.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, FS, 0)).fma(da0, ma0).fma(t, a0);
                a1 = ((FloatVector) va1.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, FS, 0)).fma(da1, ma1).fma(t, a1);
                b0 = ((FloatVector) vb0.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, FS, 0)).fma(db0, mb0).fma(t, b0);
                b1 = ((FloatVector) vb1.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, FS, 0)).fma(db1, mb1).fma(t, b1);
            }
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
        float[] p = s.panel(R * k);
        float[] tmp = s.tile;
        for (int g = g0; g < g1; g++) {
            for (int b = 0, nb = (k + BLOCK - 1) / BLOCK; b < nb; b++) dequantBlock(type, seg, gb * g, k, b, p, b * BLOCK * R, s.scales);
            int j0 = g * R;
            int t = 0;
            for (; t + 12 <= rows; t += 12) tile12(p, k, in, t * k, out, t * n, n, j0, tmp);
            if (t + 8 <= rows) { tile8(p, k, in, t * k, out, t * n, n, j0, tmp); t += 8; }
            for (; t + 4 <= rows; t += 4) tile4(p, k, in, t * k, out, t * n, n, j0, tmp);
            for (; t < rows; t++) tile1(p, k, in, t * k, out, t * n, n, j0, tmp);
        }
    }

    private static void tile1(float[] p, int k, float[] x, int x0, float[] out, int o, int n, int j0, float[] tmp) {
        FloatVector a0 = FloatVector.zero(FS), a1 = a0;
        for (int i = 0; i < k; i++) {
            FloatVector w0 = FloatVector.fromArray(FS, p, i * R), w1 = FloatVector.fromArray(FS, p, i * R + L);
            FloatVector t = FloatVector.broadcast(FS, x[x0 + i]);
            a0 = w0.fma(t, a0);
            a1 = w1.fma(t, a1);
        }
        a0.intoArray(tmp, 0 * L);
        a1.intoArray(tmp, 1 * L);
        copyOut(tmp, 1, out, o, n, j0);
    }

    private static void tile4(float[] p, int k, float[] x, int x0, float[] out, int o, int n, int j0, float[] tmp) {
        FloatVector a00 = FloatVector.zero(FS), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        int x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        for (int i = 0; i < k; i++) {
            FloatVector w0 = FloatVector.fromArray(FS, p, i * R), w1 = FloatVector.fromArray(FS, p, i * R + L);
            FloatVector t = FloatVector.broadcast(FS, x[x0 + i]);
            a00 = w0.fma(t, a00); a01 = w1.fma(t, a01);
            t = FloatVector.broadcast(FS, x[x1 + i]);
            a10 = w0.fma(t, a10); a11 = w1.fma(t, a11);
            t = FloatVector.broadcast(FS, x[x2 + i]);
            a20 = w0.fma(t, a20); a21 = w1.fma(t, a21);
            t = FloatVector.broadcast(FS, x[x3 + i]);
            a30 = w0.fma(t, a30); a31 = w1.fma(t, a31);
        }
        a00.intoArray(tmp, 0 * L);
        a01.intoArray(tmp, 1 * L);
        a10.intoArray(tmp, 2 * L);
        a11.intoArray(tmp, 3 * L);
        a20.intoArray(tmp, 4 * L);
        a21.intoArray(tmp, 5 * L);
        a30.intoArray(tmp, 6 * L);
        a31.intoArray(tmp, 7 * L);
        copyOut(tmp, 4, out, o, n, j0);
    }

    private static void tile8(float[] p, int k, float[] x, int x0, float[] out, int o, int n, int j0, float[] tmp) {
        FloatVector z = FloatVector.zero(FS);
        FloatVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
        FloatVector a40 = z, a41 = z, a50 = z, a51 = z, a60 = z, a61 = z, a70 = z, a71 = z;
        for (int i = 0; i < k; i++) {
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
            t = FloatVector.broadcast(FS, x[xi + 6 * k]);
            a60 = w0.fma(t, a60); a61 = w1.fma(t, a61);
            t = FloatVector.broadcast(FS, x[xi + 7 * k]);
            a70 = w0.fma(t, a70); a71 = w1.fma(t, a71);
        }
        a00.intoArray(tmp, 0 * L);
        a01.intoArray(tmp, 1 * L);
        a10.intoArray(tmp, 2 * L);
        a11.intoArray(tmp, 3 * L);
        a20.intoArray(tmp, 4 * L);
        a21.intoArray(tmp, 5 * L);
        a30.intoArray(tmp, 6 * L);
        a31.intoArray(tmp, 7 * L);
        a40.intoArray(tmp, 8 * L);
        a41.intoArray(tmp, 9 * L);
        a50.intoArray(tmp, 10 * L);
        a51.intoArray(tmp, 11 * L);
        a60.intoArray(tmp, 12 * L);
        a61.intoArray(tmp, 13 * L);
        a70.intoArray(tmp, 14 * L);
        a71.intoArray(tmp, 15 * L);
        copyOut(tmp, 8, out, o, n, j0);
    }

    private static void tile12(float[] p, int k, float[] x, int x0, float[] out, int o, int n, int j0, float[] tmp) {
        FloatVector z = FloatVector.zero(FS);
        FloatVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z, a40 = z, a41 = z, a50 = z, a51 = z;
        FloatVector a60 = z, a61 = z, a70 = z, a71 = z, a80 = z, a81 = z, a90 = z, a91 = z, aA0 = z, aA1 = z, aB0 = z, aB1 = z;
        for (int i = 0; i < k; i++) {
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
            t = FloatVector.broadcast(FS, x[xi + 6 * k]);
            a60 = w0.fma(t, a60); a61 = w1.fma(t, a61);
            t = FloatVector.broadcast(FS, x[xi + 7 * k]);
            a70 = w0.fma(t, a70); a71 = w1.fma(t, a71);
            t = FloatVector.broadcast(FS, x[xi + 8 * k]);
            a80 = w0.fma(t, a80); a81 = w1.fma(t, a81);
            t = FloatVector.broadcast(FS, x[xi + 9 * k]);
            a90 = w0.fma(t, a90); a91 = w1.fma(t, a91);
            t = FloatVector.broadcast(FS, x[xi + 10 * k]);
            aA0 = w0.fma(t, aA0); aA1 = w1.fma(t, aA1);
            t = FloatVector.broadcast(FS, x[xi + 11 * k]);
            aB0 = w0.fma(t, aB0); aB1 = w1.fma(t, aB1);
        }
        a00.intoArray(tmp, 0 * L);
        a01.intoArray(tmp, 1 * L);
        a10.intoArray(tmp, 2 * L);
        a11.intoArray(tmp, 3 * L);
        a20.intoArray(tmp, 4 * L);
        a21.intoArray(tmp, 5 * L);
        a30.intoArray(tmp, 6 * L);
        a31.intoArray(tmp, 7 * L);
        a40.intoArray(tmp, 8 * L);
        a41.intoArray(tmp, 9 * L);
        a50.intoArray(tmp, 10 * L);
        a51.intoArray(tmp, 11 * L);
        a60.intoArray(tmp, 12 * L);
        a61.intoArray(tmp, 13 * L);
        a70.intoArray(tmp, 14 * L);
        a71.intoArray(tmp, 15 * L);
        a80.intoArray(tmp, 16 * L);
        a81.intoArray(tmp, 17 * L);
        a90.intoArray(tmp, 18 * L);
        a91.intoArray(tmp, 19 * L);
        aA0.intoArray(tmp, 20 * L);
        aA1.intoArray(tmp, 21 * L);
        aB0.intoArray(tmp, 22 * L);
        aB1.intoArray(tmp, 23 * L);
        copyOut(tmp, 12, out, o, n, j0);
    }
}
