package dev.ember.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.engine.tensor.Dequant;
import dev.ember.engine.tensor.QuantFixtures;
import dev.ember.engine.tensor.TensorType;
import dev.ember.engine.tensor.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class VectorKernelsTest {
    private static final VectorKernels V = new VectorKernels();
    private static final ScalarKernels S = new ScalarKernels();
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

    /** Row lengths worth testing per type: block multiples, and for float types lengths with a tail. */
    private static int[] colsFor(TensorType t) {
        return switch (t.blockSize()) {
            case 256 -> new int[] {256, 768};
            case 32 -> new int[] {32, 64, 96, 1024};
            default -> new int[] {1, 7, 8, 13, 64, 77, 256};
        };
    }

    @Test
    void providerPicksVector() {
        assertTrue(Kernels.get().name().startsWith("vector-"), Kernels.get().name());
    }

    @Test
    void dequantizeRowIsExact() {
        for (TensorType t : TensorType.values()) {
            if (!Dequant.supports(t)) continue;
            for (int cols : colsFor(t)) {
                WeightMatrix w = QuantFixtures.random(t, 5, cols, cols * 31L + t.ordinal());
                float[] a = new float[cols + 3], b = new float[cols + 3];
                for (int r = 0; r < 5; r++) {
                    Dequant.row(w, r, a, 3);
                    V.dequantizeRow(w, r, b, 3);
                    assertArrayEquals(a, b, t + " cols " + cols + " row " + r);
                }
            }
        }
    }

    @Test
    void halfConversionIsExactForEveryValue() {
        MemorySegment seg = Arena.ofAuto().allocate(2 * 65536);
        for (int h = 0; h < 65536; h++) seg.set(Dequant.LE_SHORT, 2L * h, (short) h);
        WeightMatrix w = new WeightMatrix("all-halfs", TensorType.F16, 1, 65536, seg);
        float[] out = new float[65536];
        V.dequantizeRow(w, 0, out, 0);
        for (int h = 0; h < 65536; h++) {
            float ref = Float.float16ToFloat((short) h);
            if (Float.isNaN(ref)) assertTrue(Float.isNaN(out[h]), "NaN " + h);
            else assertEquals(Float.floatToRawIntBits(ref), Float.floatToRawIntBits(out[h]), "half 0x" + Integer.toHexString(h));
        }
    }

    @Test
    void matmulMatchesScalar() {
        int[] ns = {1, 3, 4, 5, 37, 70};
        int[] tokenCounts = {1, 2, 3, 4, 5, 7};
        for (TensorType t : TensorType.values()) {
            if (!Dequant.supports(t)) continue;
            for (int cols : colsFor(t)) {
                for (int n : ns) {
                    WeightMatrix w = QuantFixtures.random(t, n, cols, n * 1000L + cols);
                    for (int rows : tokenCounts) {
                        float[] in = QuantFixtures.randomActivations(rows * cols, rows + cols);
                        float[] ref = new float[rows * n], got = new float[rows * n];
                        S.matmul(pool2, w, in, rows, ref);
                        V.matmul(pool5, w, in, rows, got);
                        float[] wr = new float[cols];
                        for (int j = 0; j < n; j++) {
                            Dequant.row(w, j, wr, 0);
                            for (int r = 0; r < rows; r++) {
                                double mag = 0;
                                for (int i = 0; i < cols; i++) mag += Math.abs((double) wr[i] * in[r * cols + i]);
                                assertEquals(ref[r * n + j], got[r * n + j], 1e-5 * mag + 1e-30,
                                        t + " k=" + cols + " n=" + n + " rows=" + rows + " at (" + r + "," + j + ")");
                            }
                        }
                    }
                }
            }
        }
    }

    /** A token's outputs must not depend on batch size, batch neighbours, its position in the batch or thread count. */
    @Test
    void batchInvariance() {
        for (TensorType t : TensorType.values()) {
            if (!Dequant.supports(t)) continue;
            for (int cols : colsFor(t)) {
                int n = 45; // not a multiple of the tile height, nor of the panel or task size
                WeightMatrix w = QuantFixtures.random(t, n, cols, 77L + cols);
                float[] big = QuantFixtures.randomActivations(64 * cols, 5);
                float[] outBig = new float[64 * n];
                V.matmul(pool2, w, big, 64, outBig);
                SplittableRandom rnd = new SplittableRandom(cols);
                for (int trial = 0; trial < 6; trial++) {
                    int token = rnd.nextInt(64);
                    // alone
                    float[] one = new float[cols];
                    System.arraycopy(big, token * cols, one, 0, cols);
                    float[] outOne = new float[n];
                    V.matmul(trial % 2 == 0 ? pool1 : pool5, w, one, 1, outOne);
                    assertRowEquals(outBig, token, outOne, 0, n, t + " k=" + cols + " rows=1 token " + token);
                    // among 7 other random tokens, at a random position
                    int rows = 2 + rnd.nextInt(8);
                    int pos = rnd.nextInt(rows);
                    float[] mix = QuantFixtures.randomActivations(rows * cols, 100 + trial);
                    System.arraycopy(big, token * cols, mix, pos * cols, cols);
                    float[] outMix = new float[rows * n];
                    V.matmul(trial % 3 == 0 ? pool1 : pool5, w, mix, rows, outMix);
                    assertRowEquals(outBig, token, outMix, pos, n, t + " k=" + cols + " rows=" + rows + " pos " + pos);
                }
            }
        }
    }

    private static void assertRowEquals(float[] a, int ra, float[] b, int rb, int n, String what) {
        for (int j = 0; j < n; j++) {
            int x = Float.floatToRawIntBits(a[ra * n + j]), y = Float.floatToRawIntBits(b[rb * n + j]);
            assertEquals(x, y, what + " output " + j + ": " + a[ra * n + j] + " vs " + b[rb * n + j]);
        }
    }

    @Test
    void largeDecodeShapes() {
        // More rows than one decode task, with a remainder that is not a multiple of four.
        for (TensorType t : new TensorType[] {TensorType.Q8_0, TensorType.Q4_0, TensorType.F32, TensorType.Q6_K}) {
            int cols = 512, n = 1000 + 3;
            WeightMatrix w = QuantFixtures.random(t, n, cols, 9);
            float[] in = QuantFixtures.randomActivations(cols, 10);
            float[] ref = new float[n], got = new float[n];
            S.matmul(pool2, w, in, 1, ref);
            V.matmul(pool2, w, in, 1, got);
            float[] wr = new float[cols];
            for (int j = 0; j < n; j++) {
                Dequant.row(w, j, wr, 0);
                double mag = 0;
                for (int i = 0; i < cols; i++) mag += Math.abs((double) wr[i] * in[i]);
                assertEquals(ref[j], got[j], 1e-5 * mag, t + " row " + j);
            }
        }
    }

    @Test
    void elementwiseMatchesScalar() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int n : new int[] {1, 5, 8, 16, 31, 128, 1000}) {
            float[] a = QuantFixtures.randomActivations(n + 2, n), b = QuantFixtures.randomActivations(n + 2, n + 1);
            float[] wgt = QuantFixtures.randomActivations(n, n + 2);
            assertEquals(S.dot(a, 2, b, 1, n), V.dot(a, 2, b, 1, n), 1e-5 * n);

            float[] y1 = b.clone(), y2 = b.clone();
            S.axpy(0.3f, a, 1, y1, 2, n);
            V.axpy(0.3f, a, 1, y2, 2, n);
            assertArrayEquals(y1, y2, 1e-6f);

            float[] o1 = new float[n + 1], o2 = new float[n + 1];
            S.rmsnorm(a, 1, wgt, 1e-6f, o1, 1, n);
            V.rmsnorm(a, 1, wgt, 1e-6f, o2, 1, n);
            for (int i = 0; i < o1.length; i++) assertEquals(o1[i], o2[i], 1e-5 * (Math.abs(o1[i]) + 1e-3), "rmsnorm " + n);

            float[] g1 = a.clone(), g2 = a.clone();
            for (int i = 0; i < g1.length; i++) { g1[i] *= 8; g2[i] *= 8; }
            S.siluMul(g1, 1, b, 0, n);
            V.siluMul(g2, 1, b, 0, n);
            for (int i = 0; i < g1.length; i++) assertEquals(g1[i], g2[i], 1e-5 * (Math.abs(g1[i]) + 1e-3), "silu " + n);

            float[] s1 = a.clone(), s2 = a.clone();
            for (int i = 0; i < s1.length; i++) { s1[i] = s2[i] = (float) (rnd.nextDouble() * 20 - 10); }
            S.softmax(s1, 1, n);
            V.softmax(s2, 1, n);
            for (int i = 0; i < s1.length; i++) assertEquals(s1[i], s2[i], 1e-5 * (Math.abs(s1[i]) + 1e-6), "softmax " + n);

            // With a sink logit: its share of the mass is dropped, so the rest sums to 1 - p(sink).
            float sink = (float) (rnd.nextDouble() * 20 - 10);
            float[] k1 = a.clone(), k2 = a.clone(), k3 = a.clone();
            for (int i = 0; i < k1.length; i++) { k1[i] = k2[i] = k3[i] = (float) (rnd.nextDouble() * 20 - 10); }
            S.softmax(k1, 1, n, sink);
            V.softmax(k2, 1, n, sink);
            double max = sink, z = 0;
            for (int i = 1; i <= n; i++) max = Math.max(max, k3[i]);
            for (int i = 1; i <= n; i++) z += Math.exp(k3[i] - max);
            z += Math.exp(sink - max);
            for (int i = 1; i <= n; i++) {
                double want = Math.exp(k3[i] - max) / z;
                assertEquals(want, k1[i], 1e-5 * (want + 1e-6), "scalar softmax with sink " + n);
                assertEquals(k1[i], k2[i], 1e-5 * (Math.abs(k1[i]) + 1e-6), "vector softmax with sink " + n);
            }
            assertEquals(k3[0], k2[0]);
            // No sink (-inf) is the plain softmax, bit for bit.
            float[] p1 = a.clone(), p2 = a.clone();
            for (int i = 0; i < p1.length; i++) { p1[i] = p2[i] = (float) (rnd.nextDouble() * 20 - 10); }
            V.softmax(p1, 1, n);
            V.softmax(p2, 1, n, Float.NEGATIVE_INFINITY);
            assertArrayEquals(p1, p2);

            float[] c1 = b.clone(), c2 = b.clone();
            S.add(c1, 0, a, 2, n);
            V.add(c2, 0, a, 2, n);
            assertArrayEquals(c1, c2);
        }
    }

    @Test
    void maxEqualsTheScalarMaxIncludingNaNAndInfinities() {
        java.util.Random rnd = new java.util.Random(11);
        for (int n : new int[] {0, 1, 15, 16, 17, 100, 4096}) {
            float[] x = new float[n + 5];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian() * 30f;
            assertEquals(S.max(x, 3, n), V.max(x, 3, n), "n=" + n);
            if (n == 0) {
                assertEquals(Float.NEGATIVE_INFINITY, V.max(x, 3, 0));
                continue;
            }
            float expected = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) expected = Math.max(expected, x[3 + i]);
            assertEquals(expected, V.max(x, 3, n), "n=" + n);
            for (int at : new int[] {0, n / 2, n - 1}) { // a vector lane and the scalar tail
                for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
                    float[] y = x.clone();
                    y[3 + at] = bad;
                    assertEquals(bad, V.max(y, 3, n), "n=" + n + " " + bad + " at " + at);
                    assertEquals(bad, S.max(y, 3, n));
                }
            }
            float[] lows = new float[n];
            java.util.Arrays.fill(lows, Float.NEGATIVE_INFINITY);
            assertEquals(Float.NEGATIVE_INFINITY, V.max(lows, 0, n));
        }
    }

    @Test
    void sumExpAddsEachVectorsLaneTreeInDouble() {
        var species = VectorBlocks.FS;
        int l = species.length();
        java.util.Random rnd = new java.util.Random(5);
        for (int n : new int[] {1, l - 1, l, 3 * l + 5, 4096}) {
            float[] x = new float[n + 2];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian() * 8f;
            float max = S.max(x, 2, n);
            // the documented order: each whole vector's exps summed by the lane tree, added in double; the tail in double
            double expected = 0;
            float[] lanes = new float[l];
            int i = 0;
            for (; i + l <= n; i += l) {
                DeterministicExp.exp(jdk.incubator.vector.FloatVector.fromArray(species, x, 2 + i).sub(max)).intoArray(lanes, 0);
                expected += VectorKernels.tree(lanes, 0);
            }
            for (; i < n; i++) expected += Math.exp((double) x[2 + i] - max);
            assertEquals(expected, V.sumExp(x, 2, n, max), "n=" + n);
            assertEquals(S.sumExp(x, 2, n, max), V.sumExp(x, 2, n, max), 1e-6 * S.sumExp(x, 2, n, max), "n=" + n);
        }
    }

    @Test
    void treeSumInRegistersEqualsTheTreeInMemory() {
        var species = VectorBlocks.FS; // the kernels' species (512 bits in the kernels-512 run)
        java.util.Random rnd = new java.util.Random(7);
        float[] lanes = new float[species.length()];
        for (int trial = 0; trial < 1000; trial++) {
            for (int i = 0; i < lanes.length; i++) lanes[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(9) - 4));
            var v = jdk.incubator.vector.FloatVector.fromArray(species, lanes, 0);
            assertEquals(VectorKernels.tree(lanes.clone(), 0), VectorKernels.treeSum(v));
        }
        for (int k : new int[] {1, 7, 16, 33, 64, 200}) {
            float[] a = QuantFixtures.randomActivations(k + 3, k), b = QuantFixtures.randomActivations(k + 1, k + 9);
            assertEquals(Matmul.dot1(a, 3, b, 1, k, new float[2 * species.length()]), Matmul.dot1(a, 3, b, 1, k), "dot1 " + k);
        }
    }

    @Test
    void sinkhornGivesTheScalarBits() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int n : new int[] {2, 3, 4, 5}) {
            for (int trial = 0; trial < 200; trial++) {
                float[] m = new float[n * n + 3];
                for (int i = 0; i < m.length; i++) m[i] = (float) Math.exp(rnd.nextDouble() * 8 - 4);
                float[] a = m.clone(), b = m.clone();
                S.sinkhorn(a, 3, n, 20, 1e-6f);
                V.sinkhorn(b, 3, n, 20, 1e-6f);
                assertArrayEquals(a, b, "sinkhorn " + n);
                // The last pass normalizes the columns.
                for (int c = 0; c < n; c++) {
                    double col = 0;
                    for (int j = 0; j < n; j++) col += a[3 + j * n + c];
                    assertEquals(1.0, col, 1e-4, "column sum");
                }
            }
        }
    }
}
