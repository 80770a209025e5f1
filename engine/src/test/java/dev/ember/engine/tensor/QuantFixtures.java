package dev.ember.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Test data in GGML block layouts: random matrices of every type, and encoders for hand-made
 * blocks (the inverse of ggml's packing, used to build blocks whose values are known).
 */
public final class QuantFixtures {
    private QuantFixtures() {}

    /** A random {@code rows x cols} matrix of {@code type}, in off-heap memory like a mapped file. */
    public static WeightMatrix random(TensorType type, int rows, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long bytes = type.bytesFor((long) rows * cols);
        MemorySegment seg = Arena.ofAuto().allocate(bytes + 64, 64); // slack so overreads would not fault silently
        switch (type) {
            case F32 -> { for (long i = 0; i < (long) rows * cols; i++) seg.set(Dequant.LE_FLOAT, 4 * i, gauss(rnd)); }
            case F16 -> { for (long i = 0; i < (long) rows * cols; i++) seg.set(Dequant.LE_SHORT, 2 * i, Float.floatToFloat16(gauss(rnd))); }
            case BF16 -> { for (long i = 0; i < (long) rows * cols; i++) seg.set(Dequant.LE_SHORT, 2 * i, (short) (Float.floatToRawIntBits(gauss(rnd)) >>> 16)); }
            default -> {
                for (long i = 0; i < bytes; i++) seg.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(256));
                long blocks = bytes / type.blockBytes();
                for (long b = 0; b < blocks; b++) {
                    long base = b * type.blockBytes();
                    switch (type) {
                        case Q8_0, Q4_0, Q5_0, IQ4_NL, IQ4_XS -> seg.set(Dequant.LE_SHORT, base, scale(rnd));
                        case Q4_K, Q5_K, Q4_1, Q5_1 -> { seg.set(Dequant.LE_SHORT, base, scale(rnd)); seg.set(Dequant.LE_SHORT, base + 2, scale(rnd)); }
                        case Q6_K -> seg.set(Dequant.LE_SHORT, base + 208, scale(rnd));
                        case Q2_K -> { seg.set(Dequant.LE_SHORT, base + 80, scale(rnd)); seg.set(Dequant.LE_SHORT, base + 82, scale(rnd)); }
                        case Q3_K -> seg.set(Dequant.LE_SHORT, base + 108, scale(rnd));
                        case MXFP4 -> seg.set(ValueLayout.JAVA_BYTE, base, (byte) (118 + rnd.nextInt(7))); // E8M0 scale 2^-10 .. 2^-4
                        default -> throw new AssertionError(type);
                    }
                }
            }
        }
        return new WeightMatrix("random-" + type, type, rows, cols, seg);
    }

    /** A positive f16 block scale in [0.0005, 0.02), like real weights. */
    private static short scale(SplittableRandom rnd) {
        return Float.floatToFloat16((float) (0.0005 + rnd.nextDouble() * 0.0195));
    }

    private static float gauss(SplittableRandom rnd) {
        return (float) ((rnd.nextDouble() + rnd.nextDouble() + rnd.nextDouble() - 1.5) * 0.05);
    }

    public static float[] randomActivations(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    /** Packs Q4_K's 8 scales and 8 mins (each 0..63) into the 12-byte table, the inverse of get_scale_min_k4. */
    public static byte[] packQ4kScales(int[] sc, int[] mn) {
        byte[] q = new byte[12];
        for (int j = 0; j < 4; j++) {
            q[j] = (byte) ((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
            q[j + 4] = (byte) ((mn[j] & 63) | ((mn[j + 4] >> 4) << 6));
            q[j + 8] = (byte) ((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
        }
        return q;
    }

    /** Packs 256 6-bit quants (0..63) into Q6_K's ql[128] and qh[64], the inverse of ggml's dequantize_row_q6_K. */
    public static void packQ6k(int[] q, byte[] ql, byte[] qh) {
        for (int h = 0; h < 2; h++) {
            for (int l = 0; l < 32; l++) {
                int q1 = q[128 * h + l], q2 = q[128 * h + l + 32], q3 = q[128 * h + l + 64], q4 = q[128 * h + l + 96];
                ql[64 * h + l] = (byte) ((q1 & 0xF) | ((q3 & 0xF) << 4));
                ql[64 * h + l + 32] = (byte) ((q2 & 0xF) | ((q4 & 0xF) << 4));
                qh[32 * h + l] = (byte) ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
            }
        }
    }
}
