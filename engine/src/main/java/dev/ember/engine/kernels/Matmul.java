package dev.ember.engine.kernels;

import static dev.ember.engine.kernels.VectorBlocks.BS;
import static dev.ember.engine.kernels.VectorBlocks.FS;
import static dev.ember.engine.kernels.VectorBlocks.IS;
import static dev.ember.engine.kernels.VectorBlocks.L;
import static dev.ember.engine.kernels.VectorBlocks.LE;

import dev.ember.engine.tensor.Dequant;
import dev.ember.engine.tensor.TensorType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The matmul loops.
 *
 * <p><b>The one reduction order.</b> A dot product of length k is cut into chunks of L elements
 * (chunk c covers elements {@code c*L .. c*L+L}). Two vector accumulators per (weight row, token)
 * start at zero; chunk c goes into accumulator {@code c & 1} as {@code acc = w.fma(x, acc)}, in
 * increasing c, where {@code w} is the dequantized weight exactly as {@link Dequant} defines it.
 * The result is {@link VectorKernels#tree} of {@code even + odd} (a fixed lane tree), then the
 * k mod L tail elements (float types only) added in order with a scalar fma. Every path below
 * follows it, so a token's outputs are bit-identical whatever the batch around it.
 *
 * <p>Two accumulators, not one, because a single FMA chain is latency-bound (about half the
 * bandwidth a core can pull), and not "several rows at once" because on this VM interleaving the
 * streams of several weight rows defeats the hardware prefetcher: measured, one row at a time with
 * two chains streamed Q8_0 at 2-3x the speed of four rows with one chain each.
 *
 * <p>{@link #gemm} (any token count) is shared by every type: it dequantizes a panel of weight
 * rows into per-thread F32 scratch with the type's block decoder, then sweeps all tokens with
 * register tiles of 3 weight rows x 2 tokens x 2 accumulators (12 vectors in local variables,
 * 15 registers with the operands: fits AVX2's 16; 2 rows x 3 tokens measured the same but needs 16).
 * {@link #decode} (one token) streams the weights row by row with fused kernels that decode in
 * registers (Q8_0, Q4_0, Q4_K, F32); the others dequantize a row into L1 scratch first with
 * {@link VectorBlocks#decodeRow}, which is where a type's block decoder is chosen (a vector one, or
 * the type's scalar {@link dev.ember.engine.tensor.BlockFormat} decoder): the loops here are the
 * same for every type.
 */
final class Matmul {
    private Matmul() {}

    // Block geometry of the fused decoders, from the types' BlockFormats (static finals: constants to C2).
    private static final int Q8_BYTES = TensorType.Q8_0.blockBytes(), Q4_BYTES = TensorType.Q4_0.blockBytes();
    private static final int Q4K_BYTES = TensorType.Q4_K.blockBytes();

    /** Panel height for a row length: a multiple of the tile height, about 128 KiB of floats (inside L2). */
    static int panelRows(int k) {
        int p = Math.min(30, 32 * 1024 / Math.max(1, k));
        return Math.max(3, p - p % 3);
    }

    // ------------------------------------------------------------------ decode (one token)

    static void decode(TensorType type, MemorySegment seg, long rowBytes, int k, float[] x, float[] out,
                       int j0, int j1, VectorKernels.Scratch s) {
        float[] lanes = s.lanes;
        switch (type) {
            case Q8_0 -> { for (int j = j0; j < j1; j++) out[j] = q8Row(seg, rowBytes * j, k, x, lanes); }
            case Q4_0 -> { for (int j = j0; j < j1; j++) out[j] = q4Row(seg, rowBytes * j, k, x, lanes); }
            case F32 -> { for (int j = j0; j < j1; j++) out[j] = f32Row(seg, rowBytes * j, k, x, lanes); }
            case Q4_K -> { for (int j = j0; j < j1; j++) out[j] = q4kRow(seg, rowBytes * j, k, x, lanes); }
            default -> {
                float[] p = s.panel(k);
                for (int j = j0; j < j1; j++) {
                    VectorBlocks.decodeRow(type, seg, rowBytes * j, k, p, 0);
                    out[j] = dot1(p, 0, x, 0, k, lanes);
                }
            }
        }
    }

    private static float q8Row(MemorySegment seg, long r, int k, float[] x, float[] lanes) {
        FloatVector ae = FloatVector.zero(FS), ao = ae;
        for (int b = 0, blocks = k / 32; b < blocks; b++) {
            long o = r + (long) Q8_BYTES * b;
            FloatVector d = FloatVector.broadcast(FS, VectorBlocks.f16(seg, o));
            int xb = 32 * b;
            for (int v = 0; v < 32; v += 2 * L) { // chunks 32b/L + v/L: v/L even, v/L + 1 odd
                ae = ((FloatVector) ByteVector.fromMemorySegment(BS, seg, o + 2 + v, LE).convertShape(VectorOperators.B2F, FS, 0)).mul(d)
                        .fma(FloatVector.fromArray(FS, x, xb + v), ae);
                ao = ((FloatVector) ByteVector.fromMemorySegment(BS, seg, o + 2 + v + L, LE).convertShape(VectorOperators.B2F, FS, 0)).mul(d)
                        .fma(FloatVector.fromArray(FS, x, xb + v + L), ao);
            }
        }
        ae.add(ao).intoArray(lanes, 0);
        return VectorKernels.tree(lanes, 0);
    }

    private static float q4Row(MemorySegment seg, long r, int k, float[] x, float[] lanes) {
        FloatVector ae = FloatVector.zero(FS), ao = ae;
        for (int b = 0, blocks = k / 32; b < blocks; b++) {
            long o = r + (long) Q4_BYTES * b;
            float df = VectorBlocks.f16(seg, o);
            FloatVector d = FloatVector.broadcast(FS, df);
            FloatVector m8d = FloatVector.broadcast(FS, -8f * df);
            int xb = 32 * b;
            if (L == 8) {
                // bytes 0..7 hold chunks 0 (low nibbles) and 2 (high): both even; bytes 8..15 chunks 1 and 3
                IntVector q = (IntVector) ByteVector.fromMemorySegment(BS, seg, o + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                ae = ((FloatVector) q.and(0xF).convertShape(VectorOperators.I2F, FS, 0)).fma(d, m8d)
                        .fma(FloatVector.fromArray(FS, x, xb), ae);
                ae = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, FS, 0)).fma(d, m8d)
                        .fma(FloatVector.fromArray(FS, x, xb + 16), ae);
                q = (IntVector) ByteVector.fromMemorySegment(BS, seg, o + 10, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                ao = ((FloatVector) q.and(0xF).convertShape(VectorOperators.I2F, FS, 0)).fma(d, m8d)
                        .fma(FloatVector.fromArray(FS, x, xb + 8), ao);
                ao = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, FS, 0)).fma(d, m8d)
                        .fma(FloatVector.fromArray(FS, x, xb + 24), ao);
            } else { // L == 16: low nibbles are chunk 0, high nibbles chunk 1
                IntVector q = (IntVector) ByteVector.fromMemorySegment(BS, seg, o + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                ae = ((FloatVector) q.and(0xF).convertShape(VectorOperators.I2F, FS, 0)).fma(d, m8d)
                        .fma(FloatVector.fromArray(FS, x, xb), ae);
                ao = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, FS, 0)).fma(d, m8d)
                        .fma(FloatVector.fromArray(FS, x, xb + 16), ao);
            }
        }
        ae.add(ao).intoArray(lanes, 0);
        return VectorKernels.tree(lanes, 0);
    }

    private static float q4kRow(MemorySegment seg, long r, int k, float[] x, float[] lanes) {
        // The accumulators live in lanes[0 .. 2L) between groups (storing a vector is exact): a
        // single method over the whole block outgrew C2's node budget, which then stopped
        // inlining the vector helpers and boxed every vector.
        Arrays.fill(lanes, 0, 2 * L, 0f);
        for (int b = 0, blocks = k / 256; b < blocks; b++) {
            long blk = r + (long) Q4K_BYTES * b;
            float d = VectorBlocks.f16(seg, blk);
            float dmin = VectorBlocks.f16(seg, blk + 2);
            for (int g = 0; g < 4; g++) q4kGroup(seg, blk, g, d, dmin, x, 256 * b + 64 * g, lanes);
        }
        FloatVector.fromArray(FS, lanes, 0).add(FloatVector.fromArray(FS, lanes, L)).intoArray(lanes, 0);
        return VectorKernels.tree(lanes, 0);
    }

    /**
     * Group g (64 elements) of a Q4_K block: elements xb + v (low nibbles, scale 2g), then
     * xb + 32 + v (high nibbles, scale 2g + 1). Chunk parity is v/L's in both halves (64g/L and
     * 32/L are even), and each accumulator must see its chunks in increasing order, so all low
     * nibbles go first.
     */
    private static void q4kGroup(MemorySegment seg, long blk, int g, float d, float dmin, float[] x, int xb, float[] acc) {
        FloatVector ae = FloatVector.fromArray(FS, acc, 0), ao = FloatVector.fromArray(FS, acc, L);
        long qs = blk + 16 + 32L * g;
        FloatVector d1 = FloatVector.broadcast(FS, d * Dequant.q4kScale(seg, blk + 4, 2 * g));
        FloatVector m1 = FloatVector.broadcast(FS, -(dmin * Dequant.q4kMin(seg, blk + 4, 2 * g)));
        FloatVector d2 = FloatVector.broadcast(FS, d * Dequant.q4kScale(seg, blk + 4, 2 * g + 1));
        FloatVector m2 = FloatVector.broadcast(FS, -(dmin * Dequant.q4kMin(seg, blk + 4, 2 * g + 1)));
        for (int v = 0; v < 32; v += 2 * L) {
            IntVector q = (IntVector) ByteVector.fromMemorySegment(BS, seg, qs + v, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            ae = ((FloatVector) q.and(0xF).convertShape(VectorOperators.I2F, FS, 0)).fma(d1, m1)
                    .fma(FloatVector.fromArray(FS, x, xb + v), ae);
            q = (IntVector) ByteVector.fromMemorySegment(BS, seg, qs + v + L, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            ao = ((FloatVector) q.and(0xF).convertShape(VectorOperators.I2F, FS, 0)).fma(d1, m1)
                    .fma(FloatVector.fromArray(FS, x, xb + v + L), ao);
        }
        for (int v = 0; v < 32; v += 2 * L) {
            IntVector q = (IntVector) ByteVector.fromMemorySegment(BS, seg, qs + v, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            ae = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, FS, 0))
                    .fma(d2, m2)
                    .fma(FloatVector.fromArray(FS, x, xb + 32 + v), ae);
            q = (IntVector) ByteVector.fromMemorySegment(BS, seg, qs + v + L, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            ao = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, FS, 0))
                    .fma(d2, m2)
                    .fma(FloatVector.fromArray(FS, x, xb + 32 + v + L), ao);
        }
        ae.intoArray(acc, 0);
        ao.intoArray(acc, L);
    }

    private static float f32Row(MemorySegment seg, long r, int k, float[] x, float[] lanes) {
        FloatVector ae = FloatVector.zero(FS), ao = ae;
        int i = 0;
        for (int bound = k & -(2 * L); i < bound; i += 2 * L) { // canonical counted loop: C2 hoists the range checks
            ae = FloatVector.fromMemorySegment(FS, seg, r + 4L * i, LE).fma(FloatVector.fromArray(FS, x, i), ae);
            ao = FloatVector.fromMemorySegment(FS, seg, r + 4L * (i + L), LE)
                    .fma(FloatVector.fromArray(FS, x, i + L), ao);
        }
        if (i + L <= k) {
            ae = FloatVector.fromMemorySegment(FS, seg, r + 4L * i, LE).fma(FloatVector.fromArray(FS, x, i), ae);
            i += L;
        }
        ae.add(ao).intoArray(lanes, 0);
        float s = VectorKernels.tree(lanes, 0);
        for (; i < k; i++) s = Math.fma(seg.get(Dequant.LE_FLOAT, r + 4L * i), x[i], s);
        return s;
    }

    // ------------------------------------------------------------------ panel GEMM (any token count)

    /**
     * Output rows [j0, j1) for all {@code rows} tokens: dequantize those weight rows once into the
     * thread's panel, then run register tiles over them, two tokens at a time.
     */
    static void gemm(TensorType type, MemorySegment seg, long rowBytes, int k, float[] in, int rows, float[] out, int n,
                     int j0, int j1, VectorKernels.Scratch s) {
        int pr = j1 - j0;
        float[] p = s.panel(pr * k);
        for (int j = j0; j < j1; j++) VectorBlocks.decodeRow(type, seg, rowBytes * j, k, p, (j - j0) * k);
        float[] lanes = s.lanes;
        int r = 0;
        for (; r + 2 <= rows; r += 2) {
            int q = 0;
            for (; q + 3 <= pr; q += 3) tile3x2(p, q * k, k, in, r * k, out, r * n + j0 + q, n, lanes);
            for (; q < pr; q++) tile1x2(p, q * k, k, in, r * k, out, r * n + j0 + q, n, lanes);
        }
        for (; r < rows; r++) {
            int q = 0;
            for (; q + 2 <= pr; q += 2) tile2x1(p, q * k, k, in, r * k, out, r * n + j0 + q, lanes);
            for (; q < pr; q++) out[r * n + j0 + q] = dot1(p, q * k, in, r * k, k, lanes);
        }
    }

    /**
     * Finishes one (row, token) dot whose even + odd accumulator sum was stored at
     * {@code lanes[lo .. lo + L)}: fixed lane tree, then the tail from element i on. Vectors are
     * stored by the caller rather than passed in, because a vector argument of a call that C2 does
     * not inline gets boxed (an allocation per call).
     */
    private static float finish(float[] lanes, int lo, float[] w, int wo, float[] x, int xo, int i, int k) {
        float s = VectorKernels.tree(lanes, lo);
        for (; i < k; i++) s = Math.fma(w[wo + i], x[xo + i], s);
        return s;
    }

    private static void tile3x2(float[] p, int w0, int k, float[] x, int x0, float[] out, int o, int n, float[] lanes) {
        int w1 = w0 + k, w2 = w1 + k;
        int x1 = x0 + k;
        FloatVector e00 = FloatVector.zero(FS), e01 = e00, e10 = e00, e11 = e00, e20 = e00, e21 = e00;
        FloatVector o00 = e00, o01 = e00, o10 = e00, o11 = e00, o20 = e00, o21 = e00;
        int i = 0;
        for (int bound = k & -(2 * L); i < bound; i += 2 * L) {
            FloatVector t0 = FloatVector.fromArray(FS, x, x0 + i);
            FloatVector t1 = FloatVector.fromArray(FS, x, x1 + i);
            FloatVector w = FloatVector.fromArray(FS, p, w0 + i);
            e00 = w.fma(t0, e00); e01 = w.fma(t1, e01);
            w = FloatVector.fromArray(FS, p, w1 + i);
            e10 = w.fma(t0, e10); e11 = w.fma(t1, e11);
            w = FloatVector.fromArray(FS, p, w2 + i);
            e20 = w.fma(t0, e20); e21 = w.fma(t1, e21);
            int i2 = i + L;
            t0 = FloatVector.fromArray(FS, x, x0 + i2);
            t1 = FloatVector.fromArray(FS, x, x1 + i2);
            w = FloatVector.fromArray(FS, p, w0 + i2);
            o00 = w.fma(t0, o00); o01 = w.fma(t1, o01);
            w = FloatVector.fromArray(FS, p, w1 + i2);
            o10 = w.fma(t0, o10); o11 = w.fma(t1, o11);
            w = FloatVector.fromArray(FS, p, w2 + i2);
            o20 = w.fma(t0, o20); o21 = w.fma(t1, o21);
        }
        if (i + L <= k) {
            FloatVector t0 = FloatVector.fromArray(FS, x, x0 + i);
            FloatVector t1 = FloatVector.fromArray(FS, x, x1 + i);
            FloatVector w = FloatVector.fromArray(FS, p, w0 + i);
            e00 = w.fma(t0, e00); e01 = w.fma(t1, e01);
            w = FloatVector.fromArray(FS, p, w1 + i);
            e10 = w.fma(t0, e10); e11 = w.fma(t1, e11);
            w = FloatVector.fromArray(FS, p, w2 + i);
            e20 = w.fma(t0, e20); e21 = w.fma(t1, e21);
            i += L;
        }
        e00.add(o00).intoArray(lanes, 0);
        e10.add(o10).intoArray(lanes, L);
        e20.add(o20).intoArray(lanes, 2 * L);
        e01.add(o01).intoArray(lanes, 3 * L);
        e11.add(o11).intoArray(lanes, 4 * L);
        e21.add(o21).intoArray(lanes, 5 * L);
        out[o] = finish(lanes, 0, p, w0, x, x0, i, k);
        out[o + 1] = finish(lanes, L, p, w1, x, x0, i, k);
        out[o + 2] = finish(lanes, 2 * L, p, w2, x, x0, i, k);
        out[o + n] = finish(lanes, 3 * L, p, w0, x, x1, i, k);
        out[o + n + 1] = finish(lanes, 4 * L, p, w1, x, x1, i, k);
        out[o + n + 2] = finish(lanes, 5 * L, p, w2, x, x1, i, k);
    }

    private static void tile1x2(float[] p, int w0, int k, float[] x, int x0, float[] out, int o, int n, float[] lanes) {
        int x1 = x0 + k;
        FloatVector e0 = FloatVector.zero(FS), e1 = e0, o0 = e0, o1 = e0;
        int i = 0;
        for (int bound = k & -(2 * L); i < bound; i += 2 * L) {
            FloatVector w = FloatVector.fromArray(FS, p, w0 + i);
            e0 = w.fma(FloatVector.fromArray(FS, x, x0 + i), e0);
            e1 = w.fma(FloatVector.fromArray(FS, x, x1 + i), e1);
            w = FloatVector.fromArray(FS, p, w0 + i + L);
            o0 = w.fma(FloatVector.fromArray(FS, x, x0 + i + L), o0);
            o1 = w.fma(FloatVector.fromArray(FS, x, x1 + i + L), o1);
        }
        if (i + L <= k) {
            FloatVector w = FloatVector.fromArray(FS, p, w0 + i);
            e0 = w.fma(FloatVector.fromArray(FS, x, x0 + i), e0);
            e1 = w.fma(FloatVector.fromArray(FS, x, x1 + i), e1);
            i += L;
        }
        e0.add(o0).intoArray(lanes, 0);
        e1.add(o1).intoArray(lanes, L);
        out[o] = finish(lanes, 0, p, w0, x, x0, i, k);
        out[o + n] = finish(lanes, L, p, w0, x, x1, i, k);
    }

    private static void tile2x1(float[] p, int w0, int k, float[] x, int x0, float[] out, int o, float[] lanes) {
        int w1 = w0 + k;
        FloatVector e0 = FloatVector.zero(FS), e1 = e0, o0 = e0, o1 = e0;
        int i = 0;
        for (int bound = k & -(2 * L); i < bound; i += 2 * L) { // canonical counted loop: C2 hoists the range checks
            FloatVector t = FloatVector.fromArray(FS, x, x0 + i);
            e0 = FloatVector.fromArray(FS, p, w0 + i).fma(t, e0);
            e1 = FloatVector.fromArray(FS, p, w1 + i).fma(t, e1);
            t = FloatVector.fromArray(FS, x, x0 + i + L);
            o0 = FloatVector.fromArray(FS, p, w0 + i + L).fma(t, o0);
            o1 = FloatVector.fromArray(FS, p, w1 + i + L).fma(t, o1);
        }
        if (i + L <= k) {
            FloatVector t = FloatVector.fromArray(FS, x, x0 + i);
            e0 = FloatVector.fromArray(FS, p, w0 + i).fma(t, e0);
            e1 = FloatVector.fromArray(FS, p, w1 + i).fma(t, e1);
            i += L;
        }
        e0.add(o0).intoArray(lanes, 0 * L);
        e1.add(o1).intoArray(lanes, 1 * L);
        out[o] = finish(lanes, 0 * L, p, w0, x, x0, i, k);
        out[o + 1] = finish(lanes, 1 * L, p, w1, x, x0, i, k);
    }

    static float dot1(float[] p, int w0, float[] x, int x0, int k, float[] lanes) {
        FloatVector e = FloatVector.zero(FS), od = e;
        int i = 0;
        for (int bound = k & -(2 * L); i < bound; i += 2 * L) { // canonical counted loop: C2 hoists the range checks
            e = FloatVector.fromArray(FS, p, w0 + i).fma(FloatVector.fromArray(FS, x, x0 + i), e);
            od = FloatVector.fromArray(FS, p, w0 + i + L).fma(FloatVector.fromArray(FS, x, x0 + i + L), od);
        }
        if (i + L <= k) {
            e = FloatVector.fromArray(FS, p, w0 + i).fma(FloatVector.fromArray(FS, x, x0 + i), e);
            i += L;
        }
        e.add(od).intoArray(lanes, 0);
        return finish(lanes, 0, p, w0, x, x0, i, k);
    }

    /** {@link #dot1(float[], int, float[], int, int, float[])} with the lane sum in registers: the same result, no scratch. */
    static float dot1(float[] p, int w0, float[] x, int x0, int k) {
        FloatVector e = FloatVector.zero(FS), od = e;
        int i = 0;
        for (int bound = k & -(2 * L); i < bound; i += 2 * L) {
            e = FloatVector.fromArray(FS, p, w0 + i).fma(FloatVector.fromArray(FS, x, x0 + i), e);
            od = FloatVector.fromArray(FS, p, w0 + i + L).fma(FloatVector.fromArray(FS, x, x0 + i + L), od);
        }
        if (i + L <= k) {
            e = FloatVector.fromArray(FS, p, w0 + i).fma(FloatVector.fromArray(FS, x, x0 + i), e);
            i += L;
        }
        float s = VectorKernels.treeSum(e.add(od));
        for (; i < k; i++) s = Math.fma(p[w0 + i], x[x0 + i], s);
        return s;
    }
}
