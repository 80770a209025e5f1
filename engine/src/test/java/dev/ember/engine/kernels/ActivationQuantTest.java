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
                float[] in = new float[rows * k];
                for (int i = 0; i < in.length; i++) in[i] = pattern % 2 == 0 ? 3f : (i % 2 == 0 ? 3f : -3f);
                float[] ref = new float[rows * n], got = new float[rows * n];
                try (WorkerPool pool = new WorkerPool(2)) {
                    S.matmul(pool, w, in, rows, ref);
                    V.matmul(pool, V.prepare(w), in, rows, got);
                }
                for (int i = 0; i < ref.length; i++) {
                    assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(got[i]), "pattern " + pattern + " rows " + rows + " at " + i);
                }
                // pattern 0: every weight 7, every input 127 steps of 3/127: the exact value is 7 * 3 * k * scale
                if (pattern == 0) assertEquals(7f * 3f * k * (0.5f + 0 % 3), ref[0], 1e-3f);
            }
        }
    }
}
