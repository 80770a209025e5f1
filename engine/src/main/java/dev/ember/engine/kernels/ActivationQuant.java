package dev.ember.engine.kernels;

import dev.ember.engine.tensor.Dequant;
import dev.ember.engine.tensor.TensorType;

/**
 * Int8 activations for the weight types whose matmul reads them (Q4_0 and the K-quants Q4_K, Q5_K,
 * Q6_K), as llama.cpp reads a Q4_0 matrix against a Q8_0-quantized input and a K-quant matrix
 * against Q8_K: per token and 32-element block, a scale {@code d = max|x| / 127} and integers
 * {@code q = rint(x / d)} in [-127, 127].
 *
 * <p>Why: a block's sum {@code Σ w · q} is then an exact integer (4-bit quants: at most
 * 15 · 127 · 32 = 60,960 in magnitude; Q6_K's {@code sc · (q - 32)}: at most 4,096 · 127 · 32,
 * still below 2^24), summed in 16-bit lanes eight or sixteen products at a time (two integer
 * operations per R weights instead of a conversion and a float FMA per weight), and every other
 * path (float GEMM tiles, the scalar reference, any summation order) gets the same integer. The
 * reduction order of such a type is, per block: {@code s} = that exact sum, {@code t = s * d},
 * {@code acc = fma(scale, t, acc)}; for Q4_K and Q5_K then {@code acc = fma(min, (Σq) * d, acc)},
 * the min term's input sum taken from the same integers (llama.cpp's Q8_K block sums).
 *
 * <p>The rounding is spelled as float arithmetic ({@code (v + 1.5·2^23) - 1.5·2^23}, round half
 * to even) so that a vector version of it gives the same bits.
 */
final class ActivationQuant {
    static final float ROUND = 12582912f; // 1.5 * 2^23: adding and subtracting it rounds |v| < 2^22 to an integer
    static final int BLOCK = Dequant.MATMUL_BLOCK;

    /** Integers as floats ({@code [rows][k]}) and block scales ({@code [rows][blocks]}). */
    float[] values = new float[0], scales = new float[0];
    /** The block sums of the integers ({@code [rows][blocks]}, where {@link #shorts} has the rows): Q4_0's -8 offset, Q4_K's +8. */
    int[] sums = new int[0];
    /** Row 0's integers as shorts (decode's 16-bit lanes), or every row's (prefill's integer GEMM). */
    short[] shorts = new short[0];
    /**
     * Row 0's integers in pairs, {@code pairs[j] = shorts[2j] & 0xFFFF | shorts[2j + 1] << 16}:
     * one 32-bit broadcast gives Q4 decode's two 16-bit lanes of a row (see
     * {@link dev.ember.engine.tensor.Interleaved#nibbleBit}). Filled for one row only.
     */
    int[] pairs = new int[0];

    /**
     * Quantizes {@code rows} rows of k into this object's buffers (grown as needed); the shorts
     * for one row (decode, with its block sums) or, when {@code shortsForAll}, for every row
     * (prefill's integer GEMM).
     */
    void quantize(float[] in, int rows, int k, boolean shortsForAll) {
        int nb = blocks(k);
        if (values.length < rows * k) values = new float[rows * k];
        if (scales.length < rows * nb) scales = new float[rows * nb];
        if (k % BLOCK == 0 && BLOCK % VectorBlocks.L == 0) VectorBlocks.quantizeInt8(in, rows, k, values, scales); // only the vector kernels call this method
        else quantize(in, rows, k, values, scales);
        if (rows != 1 && !shortsForAll) return;
        if (shorts.length < rows * k) shorts = new short[rows * k];
        for (int i = 0, n = rows * k; i < n; i++) shorts[i] = (short) values[i];
        if (rows == 1) {
            if (pairs.length < k / 2) pairs = new int[k / 2];
            for (int j = 0; j < k / 2; j++) pairs[j] = shorts[2 * j] & 0xFFFF | shorts[2 * j + 1] << 16;
        }
        if (sums.length < rows * nb) sums = new int[rows * nb];
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < nb; b++) {
                int s = 0;
                for (int i = r * k + BLOCK * b, end = r * k + Math.min(k, BLOCK * (b + 1)); i < end; i++) s += shorts[i];
                sums[r * nb + b] = s;
            }
        }
    }

    /** Whether a matmul over {@code type} reads its input as int8 blocks. */
    static boolean applies(TensorType type) {
        return switch (type) {
            case Q4_0, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    static int blocks(int k) {
        return (k + BLOCK - 1) / BLOCK;
    }

    /**
     * Quantizes {@code rows} rows of k: integer values as floats into {@code q[r*k + i]} and block
     * scales into {@code d[r*blocks(k) + b]}.
     */
    static void quantize(float[] in, int rows, int k, float[] q, float[] d) {
        int nb = blocks(k);
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < nb; b++) {
                int i0 = r * k + BLOCK * b, i1 = r * k + Math.min(k, BLOCK * (b + 1));
                float amax = 0f;
                for (int i = i0; i < i1; i++) amax = Math.max(amax, Math.abs(in[i]));
                float scale = amax / 127f;
                float inv = scale != 0f ? 1f / scale : 0f;
                for (int i = i0; i < i1; i++) q[i] = (in[i] * inv + ROUND) - ROUND;
                d[r * nb + b] = scale;
            }
        }
    }

    /** {@code x[i] = q[i] * d[block]}: the input a float kernel multiplies instead (the same value up to rounding). */
    static void roundTrip(float[] q, float[] d, int rows, int k, float[] x) {
        int nb = blocks(k);
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < k; i++) x[r * k + i] = q[r * k + i] * d[r * nb + i / BLOCK];
        }
    }
}
