package dev.ember.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.engine.tensor.Dequant;
import dev.ember.engine.tensor.Interleaved;
import dev.ember.engine.tensor.QuantFixtures;
import dev.ember.engine.tensor.TensorType;
import dev.ember.engine.tensor.WeightMatrix;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The interleaved layout's kernels follow the scalar reference's reduction order (one sequential
 * fused sum per output), so their results must equal the scalar kernels' bit for bit, for every
 * token count (decode, the 1-, 4- and 12-token tiles and their mixes) and thread count.
 */
class InterleavedMatmulTest {
    private static final VectorKernels V = new VectorKernels();
    /**
     * Both register-file variants, whatever this machine is: 32-register kernels (six-token
     * tiles, Q8_0's four-stream decode) and 16-register ones (four-token tiles, two streams).
     */
    private static final VectorKernels[] BOTH = {new VectorKernels(true), new VectorKernels(false)};
    private static final ScalarKernels S = new ScalarKernels();
    private static final TensorType[] TYPES = {TensorType.Q8_0, TensorType.Q4_0, TensorType.F32, TensorType.F16, TensorType.BF16,
            TensorType.Q4_K, TensorType.Q5_K, TensorType.Q6_K};
    private static WorkerPool pool1, pool2, pool5;

    @BeforeAll
    static void pools() {
        pool1 = new WorkerPool(1);
        pool2 = new WorkerPool(2);
        pool5 = new WorkerPool(5);
    }

    @AfterAll
    static void closePools() {
        pool1.close(); pool2.close(); pool5.close();
    }

    private static int[] colsFor(TensorType t) {
        if (t.blockSize() == 256) return new int[] {256, 768};
        return t.isQuantized() ? new int[] {32, 96, 1024} : new int[] {1, 7, 32, 77, 256};
    }

    @Test
    void prepareInterleavesTheSupportedTypes() {
        for (TensorType t : TYPES) {
            int cols = t.blockSize() == 256 ? 512 : 64;
            WeightMatrix w = QuantFixtures.random(t, 40, cols, 1);
            WeightMatrix p = V.prepare(w);
            assertNotSame(w, p);
            assertEquals(InterleavedMatmul.R, p.interleave(), t.toString());
            assertEquals(w.rows(), p.rows());
            // same bytes per row as stored, but for Q4_K's and Q5_K's unpacked scales and Q5_K's and Q6_K's unpacked quants (plus the padding rows of the last group)
            int groups = (40 + InterleavedMatmul.R - 1) / InterleavedMatmul.R;
            long stored = t.bytesFor((long) groups * InterleavedMatmul.R * cols);
            long perSuperBlock = switch (t) { case Q4_K -> 4; case Q5_K -> 4 + 96; case Q6_K -> 64; default -> 0; };
            long extra = perSuperBlock * groups * InterleavedMatmul.R * (cols / 256);
            assertEquals(stored + extra, p.data().byteSize(), t.toString());
        }
        WeightMatrix q3 = QuantFixtures.random(TensorType.Q3_K, 4, 256, 2);
        assertTrue(V.prepare(q3) == q3, "types without an interleaved layout stay row-major");
    }

    @Test
    void blockFormOfKQuantsMeansTheStoredWeights() {
        for (TensorType t : new TensorType[] {TensorType.Q4_K, TensorType.Q5_K, TensorType.Q6_K}) {
            WeightMatrix w = QuantFixtures.random(t, 5, 512, 11);
            float[] ref = new float[512], values = new float[512], scales = new float[16], mins = new float[16];
            for (int r = 0; r < 5; r++) {
                Dequant.row(w, r, ref, 0);
                Dequant.blockRow(w, r, values, scales, mins);
                for (int i = 0; i < 512; i++) {
                    int b = i / 32;
                    assertEquals(values[i], Math.rint(values[i]), t + ": values are integers");
                    // Q6_K's scale times value is exact, so it is the reference's weight; Q4_K/Q5_K's fma rounds once, as the reference does
                    float w8 = Dequant.hasBlockMins(t) ? Math.fma(values[i], scales[b], mins[b]) : values[i] * scales[b];
                    assertTrue(w8 == ref[i], t + " row " + r + " element " + i + ": " + w8 + " vs " + ref[i]);
                }
            }
        }
    }

    @Test
    void rowsReadBackExactly() {
        for (TensorType t : TYPES) {
            for (int cols : colsFor(t)) {
                WeightMatrix w = QuantFixtures.random(t, 37, cols, cols + t.ordinal());
                WeightMatrix p = V.prepare(w);
                float[] a = new float[cols], b = new float[cols], c = new float[cols];
                for (int r = 0; r < 37; r++) {
                    Dequant.row(w, r, a, 0);
                    Interleaved.row(p, r, b, 0);
                    V.dequantizeRow(p, r, c, 0);
                    assertArrayEquals(a, b, t + " cols " + cols + " row " + r);
                    assertArrayEquals(a, c, t + " cols " + cols + " row " + r);
                }
            }
        }
    }

    @Test
    void equalsScalarReferenceBitForBit() {
        int[] ns = {1, 5, 32, 45, 70};
        int[] tokenCounts = {1, 2, 4, 5, 8, 12, 13, 29, 68, 70, 75}; // 8: one eight-token tile of the Q4 integer GEMM; 68, 70, 75: above BLOCK_GEMM_ROWS, the panel form (sixes then fours, sixes then ones)
        for (TensorType t : TYPES) {
            for (int cols : colsFor(t)) {
                for (int n : ns) {
                    WeightMatrix w = QuantFixtures.random(t, n, cols, n * 1000L + cols);
                    WeightMatrix p = V.prepare(w);
                    for (int rows : tokenCounts) {
                        float[] in = QuantFixtures.randomActivations(rows * cols, rows + cols);
                        float[] ref = new float[rows * n], got = new float[rows * n];
                        S.matmul(pool2, w, in, rows, ref);
                        for (int v = 0; v < BOTH.length; v++) {
                            BOTH[v].matmul(rows % 2 == 0 ? pool5 : pool2, p, in, rows, got);
                            for (int i = 0; i < ref.length; i++) {
                                assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(got[i]),
                                        t + " k=" + cols + " n=" + n + " rows=" + rows + " wide=" + (v == 0) + " at " + i + ": " + ref[i] + " vs " + got[i]);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * One token over runs of many groups: decode reads a task's run as several streams (four for
     * Q8_0, two for the K-quants) over equal parts, with the rest taken pairwise or alone, in up
     * to four runs per thread (Q8_0 with 32 registers: runs that shrink towards the region's end,
     * 12, 8, 8, 4, 4, 4 groups for 40 on two threads). Group counts per task from 1 to 10 cover
     * every split and remainder.
     */
    @Test
    void decodeOverLongRunsEqualsScalarReference() {
        int[] ns = {4 * 32, 7 * 32 - 3, 9 * 32 + 5, 17 * 32, 40 * 32 - 3};
        for (TensorType t : TYPES) {
            int cols = t.blockSize() == 256 ? 512 : t.isQuantized() ? 256 : 77;
            for (int n : ns) {
                WeightMatrix w = QuantFixtures.random(t, n, cols, n * 31L + cols);
                WeightMatrix p = V.prepare(w);
                float[] in = QuantFixtures.randomActivations(cols, n + cols);
                float[] ref = new float[n];
                S.matmul(pool1, w, in, 1, ref);
                for (WorkerPool pool : new WorkerPool[] {pool1, pool2, pool5}) {
                    for (int v = 0; v < BOTH.length; v++) {
                        float[] got = new float[n];
                        BOTH[v].matmul(pool, p, in, 1, got);
                        for (int i = 0; i < n; i++) {
                            assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(got[i]),
                                    t + " n=" + n + " threads=" + pool.threads() + " wide=" + (v == 0) + " at " + i + ": " + ref[i] + " vs " + got[i]);
                        }
                    }
                }
            }
        }
    }

    @Test
    void batchInvariance() {
        for (TensorType t : TYPES) {
            int cols = t.isQuantized() ? 256 : 77;
            int n = 45;
            WeightMatrix p = V.prepare(QuantFixtures.random(t, n, cols, 77L + cols));
            // 100 tokens: the panel form; alone: decode; 2..31 tokens: the block-by-block form
            float[] big = QuantFixtures.randomActivations(100 * cols, 5);
            float[] outBig = new float[100 * n];
            V.matmul(pool2, p, big, 100, outBig);
            SplittableRandom rnd = new SplittableRandom(cols);
            for (int trial = 0; trial < 8; trial++) {
                int token = rnd.nextInt(100);
                float[] one = new float[cols];
                System.arraycopy(big, token * cols, one, 0, cols);
                float[] outOne = new float[n];
                V.matmul(trial % 2 == 0 ? pool1 : pool5, p, one, 1, outOne);
                for (int j = 0; j < n; j++) assertEquals(Float.floatToRawIntBits(outBig[token * n + j]), Float.floatToRawIntBits(outOne[j]), t + " alone");
                int rows = 2 + rnd.nextInt(30);
                int pos = rnd.nextInt(rows);
                float[] mix = QuantFixtures.randomActivations(rows * cols, 100 + trial);
                System.arraycopy(big, token * cols, mix, pos * cols, cols);
                float[] outMix = new float[rows * n];
                V.matmul(trial % 3 == 0 ? pool1 : pool5, p, mix, rows, outMix);
                for (int j = 0; j < n; j++) {
                    assertEquals(Float.floatToRawIntBits(outBig[token * n + j]), Float.floatToRawIntBits(outMix[pos * n + j]), t + " rows=" + rows + " pos " + pos);
                }
            }
        }
    }

    @Test
    void fusedRegionEqualsSeparateMatmuls() {
        for (int rows : new int[] {1, 3, 13}) {
            WeightMatrix a = V.prepare(QuantFixtures.random(TensorType.Q8_0, 70, 64, 1));
            WeightMatrix b = QuantFixtures.random(TensorType.Q6_K, 9, 256, 2); // row-major path
            WeightMatrix c = V.prepare(QuantFixtures.random(TensorType.F16, 33, 64, 3));
            float[] in = QuantFixtures.randomActivations(rows * 256, rows);
            float[] inSmall = java.util.Arrays.copyOf(in, rows * 64);
            // a and c read 64 columns, b 256: fuse the two that share the input
            float[] oa = new float[rows * 70], oc = new float[rows * 33], fa = new float[rows * 70], fc = new float[rows * 33];
            V.matmul(pool2, a, inSmall, rows, oa);
            V.matmul(pool2, c, inSmall, rows, oc);
            V.matmuls(pool5, new WeightMatrix[] {a, c}, inSmall, rows, new float[][] {fa, fc});
            assertArrayEquals(oa, fa);
            assertArrayEquals(oc, fc);
            float[] ob = new float[rows * 9], fb = new float[rows * 9];
            V.matmul(pool2, b, in, rows, ob);
            V.matmuls(pool5, new WeightMatrix[] {b}, in, rows, new float[][] {fb});
            assertArrayEquals(ob, fb);
        }
    }

    /**
     * A fused region of int8-activation types quantizes a shared input once where it can: Q6_K
     * first (float tiles, its int8 values only), then Q4_0 and Q4_K (the integer GEMM from 8
     * tokens, which also needs every row's shorts). Each output must equal its matmul alone.
     */
    @Test
    void fusedInt8TypesShareOneQuantizationAndEqualSeparateMatmuls() {
        TensorType[] types = {TensorType.Q6_K, TensorType.Q4_0, TensorType.Q4_K};
        WeightMatrix[] ws = new WeightMatrix[types.length];
        for (int i = 0; i < types.length; i++) ws[i] = V.prepare(QuantFixtures.random(types[i], 48 + 16 * i, 256, 10 + i));
        for (int rows : new int[] {1, 3, 13}) assertFusedEqualsSeparate(types, ws, rows, 40 + rows);
    }

    /** Each output of one fused matmuls call over 256-column random input equals its matmul alone. */
    private void assertFusedEqualsSeparate(TensorType[] types, WeightMatrix[] ws, int rows, long seed) {
        float[] in = QuantFixtures.randomActivations(rows * 256, seed);
        float[][] alone = new float[ws.length][], fused = new float[ws.length][];
        for (int i = 0; i < ws.length; i++) {
            alone[i] = new float[rows * ws[i].rows()];
            fused[i] = new float[rows * ws[i].rows()];
            V.matmul(pool2, ws[i], in, rows, alone[i]);
        }
        V.matmuls(pool5, ws, in, rows, fused);
        for (int i = 0; i < ws.length; i++) {
            assertArrayEquals(alone[i], fused[i], java.util.Arrays.toString(types) + " matmul " + i + " rows=" + rows);
        }
    }

    /**
     * A fused region's later matmuls read the earlier one's tile-major input where theirs would be
     * the same (Q, K and V; gate and up): float input (Q8_0, F16) and the integer GEMM's shorts
     * (Q4_0), for a few tokens (block by block), a batch and a prompt (panel form). A type whose
     * input differs (Q4_0's int8 values after Q8_0's floats) must not take it. Each output must
     * equal its matmul alone.
     */
    @Test
    void fusedMatmulsSharingTileMajorInputEqualSeparateMatmuls() {
        TensorType[][] sets = {
                {TensorType.Q8_0, TensorType.Q8_0, TensorType.F16},
                {TensorType.Q4_0, TensorType.Q4_0},
                {TensorType.Q8_0, TensorType.Q4_0, TensorType.Q4_0, TensorType.Q8_0}};
        for (TensorType[] types : sets) {
            WeightMatrix[] ws = new WeightMatrix[types.length];
            for (int i = 0; i < types.length; i++) ws[i] = V.prepare(QuantFixtures.random(types[i], 64 + 32 * i, 256, 70 + i));
            for (int rows : new int[] {5, 13, 32, 70}) assertFusedEqualsSeparate(types, ws, rows, 90 + rows);
        }
    }
}
