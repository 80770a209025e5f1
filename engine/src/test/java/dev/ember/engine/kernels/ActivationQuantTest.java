package dev.ember.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.engine.tensor.QuantFixtures;
import dev.ember.engine.tensor.TensorType;
import dev.ember.engine.tensor.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class ActivationQuantTest {
    private static final Kernels S = new ScalarKernels();
    private static final Kernels V = VectorKernels.supported() ? new VectorKernels() : S;

    @Test
    void integersInRangeAndWithinHalfAStepOfTheInput() {
        int k = 96;
        float[] in = QuantFixtures.randomActivations(3 * k, 5);
        in[7] = 0f;
        for (int i = 32; i < 64; i++) in[i] = 0f; // an all-zero block: scale 0, integers 0
        float[] q = new float[in.length], d = new float[3 * 3];
        ActivationQuant.quantize(in, 3, k, q, d);
        assertEquals(0f, d[1]);
        for (int i = 0; i < in.length; i++) {
            float scale = d[(i / k) * 3 + (i % k) / 32];
            assertEquals(Math.rint(q[i]), q[i], "integer");
            assertTrue(Math.abs(q[i]) <= 127, "in [-127, 127]: " + q[i]);
            assertTrue(Math.abs(q[i] * scale - in[i]) <= scale * 0.5f * (1 + 1e-6f), "round to nearest at " + i);
        }
        float max = 0;
        for (int i = 0; i < 32; i++) max = Math.max(max, Math.abs(q[i]));
        assertEquals(127f, max, "the block's largest magnitude maps to 127");
    }

    @Test
    void vectorQuantizationHasTheScalarBits() {
        int k = 256, rows = 5;
        float[] in = QuantFixtures.randomActivations(rows * k, 17);
        for (int i = 64; i < 96; i++) in[i] = 0f;
        in[130] = 1e-30f; // a tiny block maximum
        float[] q1 = new float[in.length], d1 = new float[rows * 8], q2 = new float[in.length], d2 = new float[rows * 8];
        ActivationQuant.quantize(in, rows, k, q1, d1);
        VectorBlocks.quantizeInt8(in, rows, k, q2, d2);
        for (int i = 0; i < q1.length; i++) assertEquals(Float.floatToRawIntBits(q1[i]), Float.floatToRawIntBits(q2[i]), "value " + i);
        for (int i = 0; i < d1.length; i++) assertEquals(Float.floatToRawIntBits(d1[i]), Float.floatToRawIntBits(d2[i]), "scale " + i);
    }

    /**
     * Blocks at the extremes of the 16-bit decode lanes: every nibble 15 (or 0) against inputs
     * that all quantize to +127 (or alternate signs), so the lane sums reach their bounds. The
     * vector decode (int16 lanes) and GEMM (float tiles) must still equal the scalar reference.
     */
    @Test
    void extremeQ4BlocksStayExact() {
        int n = 96, k = 128;
        for (int pattern = 0; pattern < 4; pattern++) {
            MemorySegment data = Arena.ofAuto().allocate((long) n * k / 32 * 18);
            for (int r = 0; r < n; r++) {
                for (int b = 0; b < k / 32; b++) {
                    long o = ((long) r * (k / 32) + b) * 18;
                    data.set(ValueLayout.JAVA_SHORT_UNALIGNED, o, Float.floatToFloat16(0.5f + r % 3));
                    byte v = switch (pattern) { case 0 -> (byte) 0xFF; case 1 -> 0; case 2 -> (byte) 0x0F; default -> (byte) 0xF0; };
                    for (int i = 0; i < 16; i++) data.set(ValueLayout.JAVA_BYTE, o + 2 + i, v);
                }
            }
            WeightMatrix w = new WeightMatrix("extreme", TensorType.Q4_0, n, k, data);
            for (int rows : new int[] {1, 7, 73}) { // 73: prefill's integer GEMM (8-token tiles and a 1-token rest)
                float[] ref = vectorEqualsScalar(w, rows, pattern);
                // pattern 0: every weight 7, every input 127 steps of 3/127: the exact value is 7 * 3 * k * scale
                if (pattern == 0) assertEquals(7f * 3f * k * (0.5f + 0 % 3), ref[0], 1e-3f);
            }
        }
    }

    /**
     * The K-quants' 16-bit decode lanes at their bounds: Q4_K (Q5_K) with every quant 15 (31) and
     * every 6-bit sub-scale and min 63; Q6_K with every {@code q - 32} at -32 (or 31) and every int8 sub-scale
     * -128, whose block sums (32 · 4,096 · 127 = 16,646,144) come within 1 % of 2^24, where a float
     * stops holding every integer. Against inputs that all quantize to +127 or alternate signs,
     * decode (int16 lanes), the block GEMM and the panel GEMM must equal the scalar reference.
     */
    @Test
    void extremeKQuantBlocksStayExact() {
        int n = 40, k = 512;
        for (TensorType type : new TensorType[] {TensorType.Q4_K, TensorType.Q5_K, TensorType.Q6_K}) {
            for (int pattern = 0; pattern < 4; pattern++) {
                int bb = type.blockBytes();
                MemorySegment data = Arena.ofAuto().allocate((long) n * k / 256 * bb);
                for (long o = 0; o < data.byteSize(); o += bb) {
                    byte fill = pattern < 2 ? (byte) 0xFF : 0; // Q4_K: quants 15 or 0; Q5_K: 31 or 0; Q6_K: q - 32 = 31 or -32
                    if (type != TensorType.Q6_K) {
                        data.set(ValueLayout.JAVA_SHORT_UNALIGNED, o, Float.floatToFloat16(0.25f));
                        data.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 2, Float.floatToFloat16(0.125f));
                        for (int i = 4; i < 16; i++) data.set(ValueLayout.JAVA_BYTE, o + i, (byte) 0xFF); // sub-scales and mins 63
                        for (int i = 16; i < bb; i++) data.set(ValueLayout.JAVA_BYTE, o + i, fill);
                    } else {
                        for (int i = 0; i < 192; i++) data.set(ValueLayout.JAVA_BYTE, o + i, fill); // ql, qh
                        for (int i = 192; i < 208; i++) data.set(ValueLayout.JAVA_BYTE, o + i, (byte) 0x80); // sub-scales -128
                        data.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 208, Float.floatToFloat16(0.5f));
                    }
                }
                WeightMatrix w = new WeightMatrix("extreme", type, n, k, data);
                for (int rows : new int[] {1, 7, 73}) { // decode, the block GEMM, the panel GEMM
                    float[] ref = vectorEqualsScalar(w, rows, pattern);
                    if (pattern == 0) { // every input 127 steps of 3/127
                        double weight = switch (type) {
                            case Q4_K -> 0.25 * 63 * 15 - 0.125 * 63;
                            case Q5_K -> 0.25 * 63 * 31 - 0.125 * 63;
                            default -> 0.5 * -128 * 31;
                        };
                        assertEquals(weight * 3 * k, ref[0], Math.abs(weight * 3 * k) * 1e-6, type + " exact value");
                    }
                }
            }
        }
    }

    /**
     * {@code rows} tokens of inputs that all quantize to +127 (even patterns) or alternate signs
     * (odd) against {@code w}: the vector kernels' outputs must have the scalar reference's bits.
     * Returns the reference's.
     */
    private static float[] vectorEqualsScalar(WeightMatrix w, int rows, int pattern) {
        int n = w.rows(), k = w.cols();
        float[] in = new float[rows * k];
        for (int i = 0; i < in.length; i++) in[i] = pattern % 2 == 0 ? 3f : (i % 2 == 0 ? 3f : -3f);
        float[] ref = new float[rows * n], got = new float[rows * n];
        try (WorkerPool pool = new WorkerPool(2)) {
            S.matmul(pool, w, in, rows, ref);
            V.matmul(pool, V.prepare(w), in, rows, got);
        }
        for (int i = 0; i < ref.length; i++) {
            assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(got[i]), w.type() + " pattern " + pattern + " rows " + rows + " at " + i);
        }
        return ref;
    }
}
