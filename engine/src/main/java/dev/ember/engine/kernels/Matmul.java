package dev.ember.engine.kernels;

import static dev.ember.engine.kernels.VectorBlocks.FS;
import static dev.ember.engine.kernels.VectorBlocks.L;
import static dev.ember.engine.kernels.VectorKernels.reduce;

import dev.ember.engine.tensor.Dequant;
import dev.ember.engine.tensor.TensorType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * The matmul loops. {@link #gemm} is shared by every type: it dequantizes a panel of weight rows
 * into per-thread F32 scratch with the type's block decoder, then sweeps all tokens with register
 * tiles (4 weight rows x 3 tokens, accumulators in local variables). {@link #decode} (one token)
 * streams the weights: Q8_0, Q4_0 and F32 have fused kernels that decode in registers, four rows
 * at a time so four independent FMA chains hide the FMA latency and four memory streams are in
 * flight; other types go through the panel path.
 *
 * <p>All paths follow the reduction order documented on {@link VectorKernels}.
 */
final class Matmul {
    private Matmul() {}

    /** Panel height for a row length: the panel stays around 128 KiB, well inside L2. */
    static int panelRows(int k) {
        int p = (32 * 1024 / Math.max(1, k)) & ~3;
        return Math.max(4, Math.min(32, p));
    }

    static boolean hasFusedDecode(TensorType type) {
        return type == TensorType.Q8_0 || type == TensorType.Q4_0 || type == TensorType.F32;
    }

    // ------------------------------------------------------------------ decode (one token)

    static void decode(TensorType type, MemorySegment seg, long rowBytes, int k, float[] x, float[] out,
                       int j0, int j1, VectorKernels.Scratch s) {
        if (!hasFusedDecode(type)) {
            for (int j = j0; j < j1; j += 4) gemm(type, seg, rowBytes, k, x, 1, out, 0, j, Math.min(j1, j + 4), s);
            return;
        }
        float[] lanes = s.lanes;
        int j = j0;
        switch (type) {
            case Q8_0 -> {
                for (; j + 4 <= j1; j += 4) q8Decode4(seg, rowBytes * j, rowBytes, k, x, out, j, lanes);
                for (; j < j1; j++) q8Decode1(seg, rowBytes * j, k, x, out, j, lanes);
            }
            case Q4_0 -> {
                for (; j + 4 <= j1; j += 4) q4Decode4(seg, rowBytes * j, rowBytes, k, x, out, j, lanes);
                for (; j < j1; j++) q4Decode1(seg, rowBytes * j, k, x, out, j, lanes);
            }
            case F32 -> {
                for (; j + 4 <= j1; j += 4) f32Decode4(seg, rowBytes * j, rowBytes, k, x, out, j, lanes);
                for (; j < j1; j++) f32Decode1(seg, rowBytes * j, k, x, out, j, lanes);
            }
            default -> throw new AssertionError(type);
        }
    }

    private static void q8Decode4(MemorySegment seg, long r0, long rb, int k, float[] x, float[] out, int j, float[] lanes) {
        long r1 = r0 + rb, r2 = r1 + rb, r3 = r2 + rb;
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0;
        int blocks = k / 32;
        for (int b = 0; b < blocks; b++) {
            long o = 34L * b;
            FloatVector d0 = FloatVector.broadcast(FS, VectorBlocks.f16(seg, r0 + o));
            FloatVector d1 = FloatVector.broadcast(FS, VectorBlocks.f16(seg, r1 + o));
            FloatVector d2 = FloatVector.broadcast(FS, VectorBlocks.f16(seg, r2 + o));
            FloatVector d3 = FloatVector.broadcast(FS, VectorBlocks.f16(seg, r3 + o));
            o += 2;
            int xb = 32 * b;
            for (int v = 0; v < 32; v += L) {
                FloatVector xv = FloatVector.fromArray(FS, x, xb + v);
                a0 = VectorBlocks.int8s(seg, r0 + o + v).mul(d0).fma(xv, a0);
                a1 = VectorBlocks.int8s(seg, r1 + o + v).mul(d1).fma(xv, a1);
                a2 = VectorBlocks.int8s(seg, r2 + o + v).mul(d2).fma(xv, a2);
                a3 = VectorBlocks.int8s(seg, r3 + o + v).mul(d3).fma(xv, a3);
            }
        }
        out[j] = reduce(a0, lanes);
        out[j + 1] = reduce(a1, lanes);
        out[j + 2] = reduce(a2, lanes);
        out[j + 3] = reduce(a3, lanes);
    }

    private static void q8Decode1(MemorySegment seg, long r0, int k, float[] x, float[] out, int j, float[] lanes) {
        FloatVector a0 = FloatVector.zero(FS);
        for (int b = 0; b < k / 32; b++) {
            long o = r0 + 34L * b;
            FloatVector d0 = FloatVector.broadcast(FS, VectorBlocks.f16(seg, o));
            for (int v = 0; v < 32; v += L) {
                a0 = VectorBlocks.int8s(seg, o + 2 + v).mul(d0).fma(FloatVector.fromArray(FS, x, 32 * b + v), a0);
            }
        }
        out[j] = reduce(a0, lanes);
    }

    private static void q4Decode4(MemorySegment seg, long r0, long rb, int k, float[] x, float[] out, int j, float[] lanes) {
        long r1 = r0 + rb, r2 = r1 + rb, r3 = r2 + rb;
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0;
        int blocks = k / 32;
        for (int b = 0; b < blocks; b++) {
            long o = 18L * b;
            FloatVector d0 = FloatVector.broadcast(FS, VectorBlocks.f16(seg, r0 + o));
            FloatVector d1 = FloatVector.broadcast(FS, VectorBlocks.f16(seg, r1 + o));
            FloatVector d2 = FloatVector.broadcast(FS, VectorBlocks.f16(seg, r2 + o));
            FloatVector d3 = FloatVector.broadcast(FS, VectorBlocks.f16(seg, r3 + o));
            o += 2;
            int xb = 32 * b;
            // Elements v.. come from low nibbles, 16 + v.. from high nibbles of the same bytes; the
            // accumulator still sees elements in increasing order v = 0, L, ..., 16, 16 + L, ...
            for (int v = 0; v < 16; v += L) {
                FloatVector xv = FloatVector.fromArray(FS, x, xb + v);
                var q0 = VectorBlocks.uint8s(seg, r0 + o + v);
                var q1 = VectorBlocks.uint8s(seg, r1 + o + v);
                var q2 = VectorBlocks.uint8s(seg, r2 + o + v);
                var q3 = VectorBlocks.uint8s(seg, r3 + o + v);
                a0 = VectorBlocks.toFloat(q0.and(0xF).sub(8)).mul(d0).fma(xv, a0);
                a1 = VectorBlocks.toFloat(q1.and(0xF).sub(8)).mul(d1).fma(xv, a1);
                a2 = VectorBlocks.toFloat(q2.and(0xF).sub(8)).mul(d2).fma(xv, a2);
                a3 = VectorBlocks.toFloat(q3.and(0xF).sub(8)).mul(d3).fma(xv, a3);
            }
            for (int v = 0; v < 16; v += L) {
                FloatVector xv = FloatVector.fromArray(FS, x, xb + 16 + v);
                var q0 = VectorBlocks.uint8s(seg, r0 + o + v);
                var q1 = VectorBlocks.uint8s(seg, r1 + o + v);
                var q2 = VectorBlocks.uint8s(seg, r2 + o + v);
                var q3 = VectorBlocks.uint8s(seg, r3 + o + v);
                a0 = VectorBlocks.toFloat(q0.lanewise(jdk.incubator.vector.VectorOperators.LSHR, 4).sub(8)).mul(d0).fma(xv, a0);
                a1 = VectorBlocks.toFloat(q1.lanewise(jdk.incubator.vector.VectorOperators.LSHR, 4).sub(8)).mul(d1).fma(xv, a1);
                a2 = VectorBlocks.toFloat(q2.lanewise(jdk.incubator.vector.VectorOperators.LSHR, 4).sub(8)).mul(d2).fma(xv, a2);
                a3 = VectorBlocks.toFloat(q3.lanewise(jdk.incubator.vector.VectorOperators.LSHR, 4).sub(8)).mul(d3).fma(xv, a3);
            }
        }
        out[j] = reduce(a0, lanes);
        out[j + 1] = reduce(a1, lanes);
        out[j + 2] = reduce(a2, lanes);
        out[j + 3] = reduce(a3, lanes);
    }

    private static void q4Decode1(MemorySegment seg, long r0, int k, float[] x, float[] out, int j, float[] lanes) {
        FloatVector a0 = FloatVector.zero(FS);
        for (int b = 0; b < k / 32; b++) {
            long o = r0 + 18L * b;
            FloatVector d0 = FloatVector.broadcast(FS, VectorBlocks.f16(seg, o));
            for (int v = 0; v < 16; v += L) {
                var q0 = VectorBlocks.uint8s(seg, o + 2 + v);
                a0 = VectorBlocks.toFloat(q0.and(0xF).sub(8)).mul(d0).fma(FloatVector.fromArray(FS, x, 32 * b + v), a0);
            }
            for (int v = 0; v < 16; v += L) {
                var q0 = VectorBlocks.uint8s(seg, o + 2 + v);
                a0 = VectorBlocks.toFloat(q0.lanewise(jdk.incubator.vector.VectorOperators.LSHR, 4).sub(8)).mul(d0)
                        .fma(FloatVector.fromArray(FS, x, 32 * b + 16 + v), a0);
            }
        }
        out[j] = reduce(a0, lanes);
    }

    private static void f32Decode4(MemorySegment seg, long r0, long rb, int k, float[] x, float[] out, int j, float[] lanes) {
        long r1 = r0 + rb, r2 = r1 + rb, r3 = r2 + rb;
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int bound = FS.loopBound(k); i < bound; i += L) {
            FloatVector xv = FloatVector.fromArray(FS, x, i);
            long o = 4L * i;
            a0 = FloatVector.fromMemorySegment(FS, seg, r0 + o, VectorBlocks.LE).fma(xv, a0);
            a1 = FloatVector.fromMemorySegment(FS, seg, r1 + o, VectorBlocks.LE).fma(xv, a1);
            a2 = FloatVector.fromMemorySegment(FS, seg, r2 + o, VectorBlocks.LE).fma(xv, a2);
            a3 = FloatVector.fromMemorySegment(FS, seg, r3 + o, VectorBlocks.LE).fma(xv, a3);
        }
        out[j] = f32Tail(reduce(a0, lanes), seg, r0, x, i, k);
        out[j + 1] = f32Tail(reduce(a1, lanes), seg, r1, x, i, k);
        out[j + 2] = f32Tail(reduce(a2, lanes), seg, r2, x, i, k);
        out[j + 3] = f32Tail(reduce(a3, lanes), seg, r3, x, i, k);
    }

    private static void f32Decode1(MemorySegment seg, long r0, int k, float[] x, float[] out, int j, float[] lanes) {
        FloatVector a0 = FloatVector.zero(FS);
        int i = 0;
        for (int bound = FS.loopBound(k); i < bound; i += L) {
            a0 = FloatVector.fromMemorySegment(FS, seg, r0 + 4L * i, VectorBlocks.LE).fma(FloatVector.fromArray(FS, x, i), a0);
        }
        out[j] = f32Tail(reduce(a0, lanes), seg, r0, x, i, k);
    }

    private static float f32Tail(float s, MemorySegment seg, long r, float[] x, int i, int k) {
        for (; i < k; i++) s = Math.fma(seg.get(Dequant.LE_FLOAT, r + 4L * i), x[i], s);
        return s;
    }

    // ------------------------------------------------------------------ panel GEMM (any token count)

    /**
     * Output rows [j0, j1) for all {@code rows} tokens: dequantize those weight rows once into the
     * thread's panel, then run register tiles over them.
     */
    static void gemm(TensorType type, MemorySegment seg, long rowBytes, int k, float[] in, int rows, float[] out, int n,
                     int j0, int j1, VectorKernels.Scratch s) {
        int pr = j1 - j0;
        float[] p = s.panel(pr * k);
        for (int j = j0; j < j1; j++) VectorBlocks.decodeRow(type, seg, rowBytes * j, k, p, (j - j0) * k);
        float[] lanes = s.lanes;
        int r = 0;
        for (; r + 3 <= rows; r += 3) {
            int q = 0;
            for (; q + 4 <= pr; q += 4) tile4x3(p, q * k, k, in, r * k, out, r * n + j0 + q, n, lanes);
            for (; q < pr; q++) tile1x3(p, q * k, k, in, r * k, out, r * n + j0 + q, n, lanes);
        }
        for (; r < rows; r++) {
            int q = 0;
            for (; q + 4 <= pr; q += 4) tile4x1(p, q * k, k, in, r * k, out, r * n + j0 + q, lanes);
            for (; q < pr; q++) out[r * n + j0 + q] = dot1(p, q * k, in, r * k, k, lanes);
        }
    }

    /** Finishes one (row, token) dot: fixed lane reduction, then the k mod L tail in element order. */
    private static float finish(FloatVector acc, float[] w, int wo, float[] x, int xo, int i, int k, float[] lanes) {
        float s = reduce(acc, lanes);
        for (; i < k; i++) s = Math.fma(w[wo + i], x[xo + i], s);
        return s;
    }

    private static void tile4x3(float[] p, int w0, int k, float[] x, int x0, float[] out, int o, int n, float[] lanes) {
        int w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
        int x1 = x0 + k, x2 = x1 + k;
        FloatVector a00 = FloatVector.zero(FS), a01 = a00, a02 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00;
        int i = 0;
        for (int bound = FS.loopBound(k); i < bound; i += L) {
            FloatVector t0 = FloatVector.fromArray(FS, x, x0 + i);
            FloatVector t1 = FloatVector.fromArray(FS, x, x1 + i);
            FloatVector t2 = FloatVector.fromArray(FS, x, x2 + i);
            FloatVector w = FloatVector.fromArray(FS, p, w0 + i);
            a00 = w.fma(t0, a00); a01 = w.fma(t1, a01); a02 = w.fma(t2, a02);
            w = FloatVector.fromArray(FS, p, w1 + i);
            a10 = w.fma(t0, a10); a11 = w.fma(t1, a11); a12 = w.fma(t2, a12);
            w = FloatVector.fromArray(FS, p, w2 + i);
            a20 = w.fma(t0, a20); a21 = w.fma(t1, a21); a22 = w.fma(t2, a22);
            w = FloatVector.fromArray(FS, p, w3 + i);
            a30 = w.fma(t0, a30); a31 = w.fma(t1, a31); a32 = w.fma(t2, a32);
        }
        out[o] = finish(a00, p, w0, x, x0, i, k, lanes);
        out[o + 1] = finish(a10, p, w1, x, x0, i, k, lanes);
        out[o + 2] = finish(a20, p, w2, x, x0, i, k, lanes);
        out[o + 3] = finish(a30, p, w3, x, x0, i, k, lanes);
        out[o + n] = finish(a01, p, w0, x, x1, i, k, lanes);
        out[o + n + 1] = finish(a11, p, w1, x, x1, i, k, lanes);
        out[o + n + 2] = finish(a21, p, w2, x, x1, i, k, lanes);
        out[o + n + 3] = finish(a31, p, w3, x, x1, i, k, lanes);
        out[o + 2 * n] = finish(a02, p, w0, x, x2, i, k, lanes);
        out[o + 2 * n + 1] = finish(a12, p, w1, x, x2, i, k, lanes);
        out[o + 2 * n + 2] = finish(a22, p, w2, x, x2, i, k, lanes);
        out[o + 2 * n + 3] = finish(a32, p, w3, x, x2, i, k, lanes);
    }

    private static void tile1x3(float[] p, int w0, int k, float[] x, int x0, float[] out, int o, int n, float[] lanes) {
        int x1 = x0 + k, x2 = x1 + k;
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0;
        int i = 0;
        for (int bound = FS.loopBound(k); i < bound; i += L) {
            FloatVector w = FloatVector.fromArray(FS, p, w0 + i);
            a0 = w.fma(FloatVector.fromArray(FS, x, x0 + i), a0);
            a1 = w.fma(FloatVector.fromArray(FS, x, x1 + i), a1);
            a2 = w.fma(FloatVector.fromArray(FS, x, x2 + i), a2);
        }
        out[o] = finish(a0, p, w0, x, x0, i, k, lanes);
        out[o + n] = finish(a1, p, w0, x, x1, i, k, lanes);
        out[o + 2 * n] = finish(a2, p, w0, x, x2, i, k, lanes);
    }

    private static void tile4x1(float[] p, int w0, int k, float[] x, int x0, float[] out, int o, float[] lanes) {
        int w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int bound = FS.loopBound(k); i < bound; i += L) {
            FloatVector t = FloatVector.fromArray(FS, x, x0 + i);
            a0 = FloatVector.fromArray(FS, p, w0 + i).fma(t, a0);
            a1 = FloatVector.fromArray(FS, p, w1 + i).fma(t, a1);
            a2 = FloatVector.fromArray(FS, p, w2 + i).fma(t, a2);
            a3 = FloatVector.fromArray(FS, p, w3 + i).fma(t, a3);
        }
        out[o] = finish(a0, p, w0, x, x0, i, k, lanes);
        out[o + 1] = finish(a1, p, w1, x, x0, i, k, lanes);
        out[o + 2] = finish(a2, p, w2, x, x0, i, k, lanes);
        out[o + 3] = finish(a3, p, w3, x, x0, i, k, lanes);
    }

    private static float dot1(float[] p, int w0, float[] x, int x0, int k, float[] lanes) {
        FloatVector a = FloatVector.zero(FS);
        int i = 0;
        for (int bound = FS.loopBound(k); i < bound; i += L) {
            a = FloatVector.fromArray(FS, p, w0 + i).fma(FloatVector.fromArray(FS, x, x0 + i), a);
        }
        return finish(a, p, w0, x, x0, i, k, lanes);
    }
}
